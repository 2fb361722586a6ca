using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ConnectLinks.Data;
using ConnectLinks.Organizations;
using ConnectLinks.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ConnectLinks.Tests.Webhooks;

/// <summary>
/// The real app in-process on a fresh SQLite file (or a fresh PostgreSQL database when
/// <c>CONNECTLINKS_TEST_DATABASE=postgres</c> and <c>CONNECTLINKS_TEST_POSTGRES</c> are set), with loopback webhooks allowed
/// and a fast dispatcher poll. Kept in Webhooks/ until the shared fixture lands.
/// </summary>
public sealed class WebhookTestApp : IAsyncDisposable
{
    private readonly string _dataDir;
    private WebhookTestApp(WebApplicationFactory<Program> factory, string dataDir, FakeClock? clock)
    {
        Factory = factory;
        _dataDir = dataDir;
        Clock = clock;
    }

    public WebApplicationFactory<Program> Factory { get; }
    public FakeClock? Clock { get; }
    /// <summary>A client with an API key of the organization <c>acme</c>.</summary>
    public HttpClient Api { get; private set; } = null!;

    public static async Task<WebhookTestApp> StartAsync(FakeClock? clock = null, Dictionary<string, string?>? settings = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("cl-webhooks-").FullName;
        var all = new Dictionary<string, string?>
        {
            ["ConnectLinks:DataDir"] = dataDir,
            ["ConnectLinks:Webhooks:AllowHttpLoopback"] = "true",
            ["ConnectLinks:Network:AllowPrivateTargets"] = "true",
            ["ConnectLinks:Webhooks:PollIntervalSeconds"] = "0.1",
            ["ConnectLinks:Webhooks:TimeoutSeconds"] = "2",
            ["ConnectLinks:Webhooks:LeaseSeconds"] = "10",
            ["ConnectLinks:RateLimits:ApiPermitsPerSecond"] = "100000",
            ["ConnectLinks:RateLimits:ApiBurst"] = "100000",
        };
        if (TestDatabases.PostgresRequested)
        {
            all["ConnectLinks:Database:Provider"] = "postgres";
            all["ConnectLinks:Database:ConnectionString"] = await TestDatabases.CreatePostgresDatabaseAsync();
        }
        foreach (var (key, value) in settings ?? []) all[key] = value;

        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in all) web.UseSetting(key, value);
            if (clock is not null) web.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock));
        });
        var app = new WebhookTestApp(factory, dataDir, clock);
        app.Api = await app.ClientForAsync("acme");
        return app;
    }

    /// <summary>A client holding a new API key of organization <paramref name="name"/> (created if missing).</summary>
    public async Task<HttpClient> ClientForAsync(string name, string[]? scopes = null)
    {
        var key = await WithDbAsync(async db =>
        {
            var org = await Tenancy.EnsureOrganizationAsync(db, name, TimeProvider.System, CancellationToken.None);
            return (await Tenancy.CreateKeyAsync(db, org, scopes ?? Scopes.Default, "test", TimeProvider.System, CancellationToken.None)).Key;
        });
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task<T> WithDbAsync<T>(Func<AppDbContext, Task<T>> work)
    {
        await using var db = await Factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await work(db);
    }

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        await Factory.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } // SQLite may still hold the file briefly
    }
}

/// <summary>Small JSON helpers for the snake_case API.</summary>
public static class Json
{
    public static async Task<JsonObject> ReadObjectAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;

    /// <summary>POSTs and asserts the status, returning the body.</summary>
    public static async Task<JsonObject> PostOkAsync(this HttpClient client, string path, object body, int status = 201)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).ShouldBe(status, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonObject> GetOkAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).ShouldBe(200, text);
        return JsonNode.Parse(text)!.AsObject();
    }
}

/// <summary>Which databases the tests use, from the environment.</summary>
public static class TestDatabases
{
    public static string? PostgresServer => Environment.GetEnvironmentVariable("CONNECTLINKS_TEST_POSTGRES") is { Length: > 0 } s ? s : null;
    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static bool PostgresRequested => Environment.GetEnvironmentVariable("CONNECTLINKS_TEST_DATABASE") == "postgres";

    /// <summary>A new empty database on the test server; returns its connection string.</summary>
    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        var server = PostgresServer ?? throw new InvalidOperationException("CONNECTLINKS_TEST_DATABASE=postgres needs CONNECTLINKS_TEST_POSTGRES (a connection string).");
        var name = "cl_wh_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }
}

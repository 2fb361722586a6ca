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

/// <summary>The shared in-process app (<see cref="ConnectLinksApp"/>) set up for webhooks: loopback receivers allowed,
/// a fast dispatcher poll, short timeouts, and the system clock unless a test brings its own.</summary>
public sealed class WebhookTestApp : IAsyncDisposable
{
    private WebhookTestApp(ConnectLinksApp factory, TestClock? clock)
    {
        Factory = factory;
        Clock = clock;
    }

    public ConnectLinksApp Factory { get; }
    public TestClock? Clock { get; }
    /// <summary>A client with an API key of the organization <c>acme</c>.</summary>
    public HttpClient Api { get; private set; } = null!;

    public static async Task<WebhookTestApp> StartAsync(TestClock? clock = null, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["ConnectLinks:Webhooks:AllowHttpLoopback"] = "true",
            ["ConnectLinks:Network:AllowPrivateTargets"] = "true",
            ["ConnectLinks:Webhooks:PollIntervalSeconds"] = "0.1",
            ["ConnectLinks:Webhooks:TimeoutSeconds"] = "2",
            ["ConnectLinks:Webhooks:LeaseSeconds"] = "10",
        };
        foreach (var (key, value) in settings ?? []) all[key] = value;
        var app = new WebhookTestApp(new ConnectLinksApp(all, (TimeProvider?)clock ?? TimeProvider.System), clock);
        app.Api = await app.ClientForAsync("acme");
        return app;
    }

    /// <summary>A client holding a new API key of organization <paramref name="name"/> (created if missing).</summary>
    public Task<HttpClient> ClientForAsync(string name, string[]? scopes = null) => Factory.ClientForAsync(name, scopes ?? Scopes.Default);

    public async Task<T> WithDbAsync<T>(Func<AppDbContext, Task<T>> work)
    {
        await using var db = Factory.Db();
        return await work(db);
    }

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        await Factory.DisposeAsync();
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


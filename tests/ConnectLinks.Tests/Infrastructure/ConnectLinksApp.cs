using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using ConnectLinks.Data;
using ConnectLinks.Organizations;
using ConnectLinks.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ConnectLinks.Tests.Infrastructure;

/// <summary>
/// The real service in-process on a fresh database (SQLite or PostgreSQL, see <see cref="TestDatabase"/>),
/// with a clock the test can move. Settings can be added before the first client is created.
/// </summary>
public sealed class ConnectLinksApp : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("cl-test-").FullName;
    /// <summary>The clock tests move by hand; the app uses it unless it was given another (the system clock).</summary>
    public TestClock Clock { get; }
    private readonly TimeProvider _time;
    public Dictionary<string, string?> Settings { get; }
    public CapturedLogs Logs { get; } = new();

    public ConnectLinksApp(Dictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        Clock = time as TestClock ?? new TestClock();
        _time = time ?? Clock;
        Settings = TestDatabase.Fresh(DataDir);
        Settings["ConnectLinks:Encryption:Keys:test"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 7 + 1)).ToArray());
        Settings["ConnectLinks:RateLimits:ApiPermitsPerSecond"] = "100000";
        Settings["ConnectLinks:RateLimits:ApiBurst"] = "100000";
        Settings["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in settings ?? []) Settings[key] = value;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton(_time);
        });
    }

    /// <summary>A DbContext on the app's database, for arranging rows and reading raw state.</summary>
    public AppDbContext Db() => Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext();

    /// <summary>A new API key of organization <paramref name="org"/> (created if missing).</summary>
    public async Task<string> CreateKeyAsync(string org = "acme", string[]? scopes = null)
    {
        _ = Services; // starts the host (TestServer or Kestrel), which applies migrations
        await using var db = Db();
        var organization = await Tenancy.EnsureOrganizationAsync(db, org, _time, default);
        var (_, key) = await Tenancy.CreateKeyAsync(db, organization, scopes ?? Scopes.All, "test", _time, default);
        return key;
    }

    /// <summary>An HTTP client authenticated as a new key of <paramref name="org"/>.</summary>
    public async Task<HttpClient> ClientForAsync(string org = "acme", string[]? scopes = null)
    {
        var key = await CreateKeyAsync(org, scopes);
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Lets the org redirect to https://app.example.com.</summary>
    public async Task AllowRedirectsAsync(HttpClient client, params string[] origins)
    {
        var response = await client.PatchAsJsonAsync("/v1/settings", new { allowed_redirect_origins = origins.Length > 0 ? origins : ["https://app.example.com"] });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Every byte the database keeps: the SQLite files, or every row of every PostgreSQL table as text.</summary>
    public async Task<string> DumpDatabaseAsync()
    {
        if (!TestDatabase.IsPostgres)
        {
            var text = new StringBuilder();
            foreach (var file in Directory.GetFiles(DataDir, "connectlinks.db*"))
            {
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                text.Append(await reader.ReadToEndAsync());
            }
            return text.ToString();
        }
        await using var connection = new NpgsqlConnection(Settings["ConnectLinks:Database:ConnectionString"]);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", connection))
        await using (var rows = await list.ExecuteReaderAsync())
            while (await rows.ReadAsync()) tables.Add(rows.GetString(0));
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var command = new NpgsqlCommand($"SELECT t::text FROM \"{table}\" t", connection);
            await using var rows = await command.ExecuteReaderAsync();
            while (await rows.ReadAsync()) dump.AppendLine(rows.GetString(0));
        }
        return dump.ToString();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        // Idle pooled connections to this test's own database would otherwise stay open for minutes, and hundreds of
        // tests would exhaust the server's connection slots.
        if (disposing && Settings.GetValueOrDefault("ConnectLinks:Database:ConnectionString") is { } postgres && TestDatabase.IsPostgres)
            NpgsqlConnection.ClearPool(new NpgsqlConnection(postgres));
        if (disposing)
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { /* SQLite may still hold the file briefly */ }
    }
}

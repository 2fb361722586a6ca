using System.Text;
using ConnectLinks.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ConnectLinks.Tests.Api;

/// <summary>A database dump gives no usable token or key (SPEC §8).</summary>
public sealed class StorageTests : IDisposable
{
    private readonly ConnectLinksApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task TheRawDatabaseHoldsNoTokenOrKey()
    {
        var key = await _app.CreateKeyAsync();
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var secrets = new List<string> { key };
        for (var i = 0; i < 5; i++)
        {
            // With an Idempotency-Key the first response (token included) is kept for replay: it must be kept encrypted.
            client.DefaultRequestHeaders.Remove("Idempotency-Key");
            client.DefaultRequestHeaders.Add("Idempotency-Key", $"create-{i}");
            var link = await client.CreateLinkAsync();
            client.DefaultRequestHeaders.Remove("Idempotency-Key");
            secrets.Add(link.Str("token"));
            secrets.Add((await (await client.PostAsync($"/v1/links/{link.Str("id")}/regenerate", null)).ReadJsonAsync()).Str("token"));
        }

        var dump = await _app.DumpDatabaseAsync();
        dump.Length.ShouldBeGreaterThan(1000);
        dump.ShouldContain("link.created"); // the dump really holds the rows
        foreach (var secret in secrets)
        {
            dump.ShouldNotContain(secret);
            dump.ShouldNotContain(secret[(secret.IndexOf('_') + 1)..]); // nor the random part alone
        }
    }

    [Fact]
    public async Task MigrationsRunTwiceWithoutChange()
    {
        await _app.CreateKeyAsync();
        await _app.Services.MigrateDatabaseAsync();
        await using var db = _app.Db();
        (await db.Database.GetAppliedMigrationsAsync()).ShouldContain("20261121000000_Initial");
        (await db.Database.GetPendingMigrationsAsync()).ShouldBeEmpty();
    }
    [Theory]
    [InlineData("Data Source=/var/lib/connectlinks/connectlinks.db;Pooling=True", true)]
    [InlineData("Data Source=:memory:", false)]
    [InlineData("Data Source=shared;Mode=Memory;Cache=Shared", false)]
    [InlineData("Data Source=file:/tmp/x.db?mode=rwc", false)]
    [InlineData("Data Source=/tmp/x.db;Mode=ReadOnly", false)]
    public void TheSqliteReadPoolTakesOnlyADatabaseFile(string connectionString, bool supported) =>
        SqliteReadPool.Supports(connectionString).ShouldBe(supported);

    [Fact]
    public void ASqliteReadWithTooFewValuesIsRefusedNotRunWithStaleParameters()
    {
        var pool = _app.Services.GetService<SqliteReadPool>();
        if (TestDatabase.IsPostgres)
        {
            pool.ShouldBeNull(); // PostgreSQL reads go through EF (Npgsql prepares and pools on its own)
            return;
        }
        pool.ShouldNotBeNull();
        Should.Throw<ArgumentException>(() => pool.Single(new RowQuery<ConnectLinks.Links.Link>(nameof(ConnectLinks.Links.Link.Id), nameof(ConnectLinks.Links.Link.OrganizationId)), "lnk_x"));
    }
}

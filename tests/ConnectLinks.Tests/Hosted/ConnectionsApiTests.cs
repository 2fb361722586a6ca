using System.Text.Json.Nodes;
using ConnectLinks.Connections;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ConnectLinks.Tests.Hosted;

public sealed class ConnectionsApiTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new(new() { ["ConnectLinks:Network:AllowPrivateTargets"] = "true" });
    private HttpClient _partner = null!;

    public async Task InitializeAsync() => _partner = await _app.ClientForAsync();
    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    private async Task<string> ConnectAsync(string owner, string kind = "destination")
    {
        var link = await _partner.CreateLinkAsync(new { owner = new { id = owner, name = owner.ToUpperInvariant() }, kind });
        var page = await new LinkPage(_app.CreateClient(), link.Str("url")).OpenAsync();
        await page.SubmitAsync(LinkPage.PostgresCredentials());
        page.Heading.ShouldContain("Connected", customMessage: page.Text);
        return (await _partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!.Str("connection_id");
    }

    [Fact]
    public async Task ListFiltersAndPagesConnections()
    {
        var first = await ConnectAsync("alice");
        var second = await ConnectAsync("bob", kind: "source");
        async Task<string[]> Ids(string query) =>
            (await _partner.GetFromJsonAsync<JsonObject>("/v1/connections?" + query))!["data"]!.AsArray().Select(c => c.Str("id")).ToArray();
        (await Ids("")).ShouldBe([second, first]);
        (await Ids("owner_id=alice")).ShouldBe([first]);
        (await Ids("kind=source")).ShouldBe([second]);
        (await Ids("connector=postgres&status=active")).Length.ShouldBe(2);
        (await Ids("connector=mysql")).ShouldBeEmpty();
        var page = await _partner.GetFromJsonAsync<JsonObject>("/v1/connections?limit=1");
        (await Ids("limit=1&cursor=" + page!.Str("next_cursor"))).ShouldBe([first]);
        (await _partner.GetAsync("/v1/connections?status=broken")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _partner.GetAsync("/v1/connections?cursor=nope")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ReTestingRunsTheChecksAgainAndRecordsTheResult()
    {
        var id = await ConnectAsync("alice");
        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        var tested = await (await _partner.PostAsync($"/v1/connections/{id}/test", null)).ReadJsonAsync();
        tested["last_test"]!["ok"]!.GetValue<bool>().ShouldBeTrue();
        DateTimeOffset.Parse(tested["last_test"]!.Str("at")).ShouldBe(_app.Clock.GetUtcNow(), TimeSpan.FromSeconds(1));
        tested["last_test"]!["checks"]!.AsArray().Count.ShouldBe(7);

        // The customer changes their password: the re-test fails, says why, and records connection.test_failed.
        await using (var db = _app.Db())
        {
            var connection = await db.Connections.SingleAsync(c => c.Id == id);
            _app.Services.GetRequiredService<ConnectionSecrets>().Seal(connection, new Dictionary<string, string> { ["password"] = "changed-since" });
            await db.SaveChangesAsync();
        }
        var failed = await (await _partner.PostAsync($"/v1/connections/{id}/test", null)).ReadJsonAsync();
        failed["last_test"]!["ok"]!.GetValue<bool>().ShouldBeFalse();
        failed["last_test"]!["checks"]!.AsArray().Single(c => c.Str("status") == "failed")!.Str("message").ShouldContain("password authentication failed");
        (await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?type=connection.test_failed&connection_id={id}"))!["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task DeletingDestroysTheSecretsAndRecordsAnEvent()
    {
        var id = await ConnectAsync("alice");
        (await _partner.DeleteAsync($"/v1/connections/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _partner.GetAsync($"/v1/connections/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _partner.GetAsync($"/v1/connections/{id}/credentials")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _partner.DeleteAsync($"/v1/connections/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await using var db = _app.Db();
        (await db.Connections.CountAsync()).ShouldBe(0);
        (await db.Events.CountAsync(e => e.Type == "connection.deleted" && e.ConnectionId == id)).ShouldBe(1);
    }

    [Fact]
    public async Task AnotherOrganizationSeesNoneOfIt()
    {
        var id = await ConnectAsync("alice");
        var other = await _app.ClientForAsync("globex", Scopes.All);
        (await other.GetAsync($"/v1/connections/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetAsync($"/v1/connections/{id}/credentials")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PostAsync($"/v1/connections/{id}/test", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.DeleteAsync($"/v1/connections/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetFromJsonAsync<JsonObject>("/v1/connections"))!["data"]!.AsArray().ShouldBeEmpty();
        (await _partner.GetAsync($"/v1/connections/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SecretsAreBoundToTheirRow()
    {
        var first = await ConnectAsync("alice");
        var second = await ConnectAsync("bob");
        await using (var db = _app.Db())
        {
            // A ciphertext copied onto another row (a tampered database) must not decrypt there.
            var a = await db.Connections.SingleAsync(c => c.Id == first);
            var b = await db.Connections.SingleAsync(c => c.Id == second);
            b.SecretCiphertext = a.SecretCiphertext;
            b.SecretWrappedKey = a.SecretWrappedKey;
            await db.SaveChangesAsync();
        }
        var response = await _partner.GetAsync($"/v1/connections/{second}/credentials");
        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await response.Content.ReadAsStringAsync()).ShouldNotContain(LinkPage.PostgresCredentials()["password"]);
        (await _partner.GetAsync($"/v1/connections/{first}/credentials")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task KeysRotateRewrapsEveryConnectionUnderTheNewKey()
    {
        var id = await ConnectAsync("alice");
        var settings = new Dictionary<string, string?>(_app.Settings)
        {
            ["ConnectLinks:Encryption:Keys:next"] = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray()),
            ["ConnectLinks:Encryption:CurrentKeyId"] = "next",
        };
        var rotate = await ServiceProcess.RunAsync(settings, "keys", "rotate");
        rotate.Exit.ShouldBe(0, rotate.Stderr);
        rotate.Stdout.Trim().ShouldBe("rewrapped 1");
        (await ServiceProcess.RunAsync(settings, "keys", "rotate")).Stdout.Trim().ShouldBe("rewrapped 0");

        await using var db = _app.Db();
        (await db.Connections.SingleAsync(c => c.Id == id)).SecretKeyId.ShouldBe("next");
        // The old key can now go: decrypt with only the new one.
        settings.Remove("ConnectLinks:Encryption:Keys:test");
        using var rotated = new ConnectLinksApp(settings);
        rotated.Settings.Remove("ConnectLinks:Encryption:Keys:test");
        var partner = await rotated.ClientForAsync("acme", Scopes.All);
        var credentials = await partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{id}/credentials");
        credentials!["credentials"]!.Str("password").ShouldBe(LinkPage.PostgresCredentials()["password"]);
    }
}

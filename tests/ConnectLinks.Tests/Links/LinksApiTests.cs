using System.Text.Json.Nodes;
using ConnectLinks.Links;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Tests.Links;

public sealed class LinksApiTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _app.ClientForAsync();
    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    [Fact]
    public async Task CreateReturnsTokenAndUrlOnceAndReadsNeverShowThem()
    {
        await _app.AllowRedirectsAsync(_client);
        var created = await _client.CreateLinkAsync(new
        {
            kind = "source", owner = new { id = "cust_9", name = "Acme Ltd", username = "ops@acme.test" }, title = "Connect your warehouse",
            redirect_uri = "https://app.example.com/done?tab=1", expires_in = 3600, max_attempts = 3, metadata = new { plan = "pro" },
            prefill = new { host = "db.acme.test" },
        });
        var token = created.Str("token");
        token.ShouldStartWith("cl_");
        token.Length.ShouldBe(46);
        created.Str("url").ShouldEndWith("/connect/" + token);
        created.Str("id").ShouldStartWith("lnk_");
        created.Str("status").ShouldBe("waiting");
        created.Str("kind").ShouldBe("source");
        created["owner"]!.Str("name").ShouldBe("Acme Ltd");
        created["max_attempts"]!.GetValue<int>().ShouldBe(3);
        created["metadata"]!.Str("plan").ShouldBe("pro");
        DateTimeOffset.Parse(created.Str("expires_at")).ShouldBe(_app.Clock.GetUtcNow().AddHours(1), TimeSpan.FromSeconds(1));

        var read = await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{created.Str("id")}");
        read!.ContainsKey("token").ShouldBeFalse();
        read.ContainsKey("url").ShouldBeFalse();
        read.Str("redirect_uri").ShouldBe("https://app.example.com/done?tab=1");
        read["prefill"]!.Str("host").ShouldBe("db.acme.test");
        (await _client.GetStringAsync("/v1/links")).ShouldNotContain(token);
    }

    [Fact]
    public async Task ReadByIdShowsEveryFieldAsCreatedListedAndChanged()
    {
        // GET by id reads through its own prepared statement on SQLite; it must agree with every other view of a link.
        await _app.AllowRedirectsAsync(_client);
        var created = await _client.CreateLinkAsync(new
        {
            kind = "source", connectors = new[] { "postgres", "mysql" }, owner = new { id = "cust_7", name = "Zoë Ltd", username = "ops@zoe.test" },
            title = "Connect your warehouse", redirect_uri = "https://app.example.com/done", expires_in = 7200, max_uses = 3,
            max_attempts = 4, metadata = new { plan = "pro", region = "eu" }, prefill = new { host = "db.zoe.test", port = "5433" },
        });
        var id = created.Str("id");
        created.Remove("token");
        created.Remove("url");

        var read = await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{id}");
        JsonNode.DeepEquals(read, created).ShouldBeTrue($"read {read!.ToJsonString()}\ncreated {created.ToJsonString()}");
        var listed = (await _client.GetFromJsonAsync<JsonObject>("/v1/links"))!["data"]!.AsArray().Single(l => l!.Str("id") == id);
        JsonNode.DeepEquals(read, listed).ShouldBeTrue();

        // Each change is visible to the very next read.
        var extended = await (await _client.PostAsJsonAsync($"/v1/links/{id}/extend", new { expires_in = 86400 })).ReadJsonAsync();
        JsonNode.DeepEquals(await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{id}"), extended).ShouldBeTrue();
        var revoked = await (await _client.DeleteAsync($"/v1/links/{id}")).ReadJsonAsync();
        revoked.Str("status").ShouldBe("revoked");
        JsonNode.DeepEquals(await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{id}"), revoked).ShouldBeTrue();
    }

    [Fact]
    public async Task DefaultTtlComesFromSettings()
    {
        (await _client.PatchAsJsonAsync("/v1/settings", new { default_link_ttl = 600 })).EnsureSuccessStatusCode();
        var created = await _client.CreateLinkAsync();
        DateTimeOffset.Parse(created.Str("expires_at")).ShouldBe(_app.Clock.GetUtcNow().AddMinutes(10), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task ListPagesNewestFirstWithACursor()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) { ids.Add((await _client.CreateLinkAsync()).Str("id")); _app.Clock.Advance(TimeSpan.FromMilliseconds(5)); }
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await _client.GetFromJsonAsync<JsonObject>("/v1/links?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page!["data"]!.AsArray().Select(l => l.Str("id")));
            cursor = page["next_cursor"]?.GetValue<string>();
            page["has_more"]!.GetValue<bool>().ShouldBe(cursor is not null);
        } while (cursor is not null);
        seen.ShouldBe(Enumerable.Reverse(ids).ToList());
    }

    [Fact]
    public async Task ListFiltersByStatusOwnerConnectorAndKind()
    {
        var a = await _client.CreateLinkAsync(new { owner = new { id = "alice" }, connector = "postgres" });
        var b = await _client.CreateLinkAsync(new { owner = new { id = "bob" }, connectors = new[] { "mysql", "redis" }, kind = "source" });
        (await _client.DeleteAsync($"/v1/links/{b.Str("id")}")).EnsureSuccessStatusCode();

        async Task<string[]> Ids(string query) =>
            (await _client.GetFromJsonAsync<JsonObject>("/v1/links?" + query))!["data"]!.AsArray().Select(l => l.Str("id")).ToArray();
        (await Ids("owner_id=alice")).ShouldBe([a.Str("id")]);
        (await Ids("connector=redis")).ShouldBe([b.Str("id")]);
        (await Ids("kind=source")).ShouldBe([b.Str("id")]);
        (await Ids("status=revoked")).ShouldBe([b.Str("id")]);
        (await Ids("status=waiting")).ShouldBe([a.Str("id")]);
        _app.Clock.Advance(TimeSpan.FromDays(2));
        (await Ids("status=expired")).ShouldBe([a.Str("id")]);
        (await Ids("status=waiting")).ShouldBeEmpty();
    }

    [Fact]
    public async Task RegenerateKillsTheOldTokenAndResetsTheLink()
    {
        var created = await _client.CreateLinkAsync(new { expires_in = 600 });
        var id = created.Str("id");
        await using (var db = _app.Db())
            await db.Links.Where(l => l.Id == id).ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.Locked).SetProperty(l => l.Attempts, 10));

        var response = await _client.PostAsJsonAsync($"/v1/links/{id}/regenerate", new { expires_in = 7200 });
        var regenerated = await response.ReadJsonAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, regenerated.ToJsonString());
        regenerated.Str("token").ShouldNotBe(created.Str("token"));
        regenerated.Str("status").ShouldBe("waiting");
        regenerated["attempts"]!.GetValue<int>().ShouldBe(0);
        DateTimeOffset.Parse(regenerated.Str("expires_at")).ShouldBe(_app.Clock.GetUtcNow().AddHours(2), TimeSpan.FromSeconds(1));

        await using var check = _app.Db();
        var stored = await check.Links.SingleAsync(l => l.Id == id);
        stored.TokenHash.ShouldBe(OpaqueToken.Hash(regenerated.Str("token")));
        stored.TokenHash.ShouldNotBe(OpaqueToken.Hash(created.Str("token")));
    }

    [Fact]
    public async Task RegenerateWithoutABodyWorks()
    {
        var created = await _client.CreateLinkAsync();
        var response = await _client.PostAsync($"/v1/links/{created.Str("id")}/regenerate", null);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ACompletedLinkCannotBeRegeneratedOrRevoked()
    {
        var id = (await _client.CreateLinkAsync()).Str("id");
        await using (var db = _app.Db())
            await db.Links.Where(l => l.Id == id).ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.Completed));
        var regenerate = await _client.PostAsync($"/v1/links/{id}/regenerate", null);
        regenerate.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await regenerate.ReadJsonAsync()).Str("code").ShouldBe("conflict");
        (await _client.DeleteAsync($"/v1/links/{id}")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await _client.PostAsJsonAsync($"/v1/links/{id}/extend", new { expires_in = 600 })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ExtendMovesExpiryAndKeepsTheUrl()
    {
        var created = await _client.CreateLinkAsync(new { expires_in = 600 });
        var id = created.Str("id");
        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        var response = await _client.PostAsJsonAsync($"/v1/links/{id}/extend", new { expires_in = 86400 });
        var extended = await response.ReadJsonAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, extended.ToJsonString());
        DateTimeOffset.Parse(extended.Str("expires_at")).ShouldBe(_app.Clock.GetUtcNow().AddDays(1), TimeSpan.FromSeconds(1));
        extended.ContainsKey("token").ShouldBeFalse();
        await using var db = _app.Db();
        (await db.Links.SingleAsync(l => l.Id == id)).TokenHash.ShouldBe(OpaqueToken.Hash(created.Str("token")));
    }

    [Fact]
    public async Task AnExpiredLinkCannotBeExtended()
    {
        var id = (await _client.CreateLinkAsync(new { expires_in = 300 })).Str("id");
        _app.Clock.Advance(TimeSpan.FromMinutes(6));
        var response = await _client.PostAsJsonAsync($"/v1/links/{id}/extend", new { expires_in = 600 });
        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await response.ReadJsonAsync()).Str("detail").ShouldContain("expired");
    }

    [Fact]
    public async Task RevokeIsIdempotentAndKeepsTheRecord()
    {
        var id = (await _client.CreateLinkAsync()).Str("id");
        var first = await (await _client.DeleteAsync($"/v1/links/{id}")).ReadJsonAsync();
        first.Str("status").ShouldBe("revoked");
        first["revoked_at"].ShouldNotBeNull();
        var second = await _client.DeleteAsync($"/v1/links/{id}");
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await second.ReadJsonAsync()).Str("revoked_at").ShouldBe(first.Str("revoked_at"));
        (await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{id}"))!.Str("status").ShouldBe("revoked");
        var events = await _client.GetFromJsonAsync<JsonObject>($"/v1/events?link_id={id}&type=link.revoked");
        events!["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task AnotherOrganizationsLinkIsNotFound()
    {
        var id = (await _client.CreateLinkAsync()).Str("id");
        var other = await _app.ClientForAsync("globex");
        foreach (var response in new[]
                 {
                     await other.GetAsync($"/v1/links/{id}"),
                     await other.DeleteAsync($"/v1/links/{id}"),
                     await other.PostAsync($"/v1/links/{id}/regenerate", null),
                     await other.PostAsJsonAsync($"/v1/links/{id}/extend", new { expires_in = 600 }),
                 })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await response.ReadJsonAsync()).Str("code").ShouldBe("not_found");
        }
        (await other.GetFromJsonAsync<JsonObject>("/v1/links"))!["data"]!.AsArray().ShouldBeEmpty();
        (await other.GetFromJsonAsync<JsonObject>("/v1/events"))!["data"]!.AsArray().ShouldBeEmpty();
        (await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{id}"))!.Str("status").ShouldBe("waiting");
    }

    [Fact]
    public async Task AnUnknownLinkIdIsNotFound()
    {
        (await _client.GetAsync("/v1/links/lnk_01m808y8e312cqjz9v3vvk28sk")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _client.GetAsync("/v1/links/not-an-id")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _client.DeleteAsync("/v1/links/' OR 1=1 --")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task IdempotencyKeyReplaysTheFirstResponse()
    {
        var body = new { connector = "postgres", owner = new { id = "cust_1" } };
        var first = new HttpRequestMessage(HttpMethod.Post, "/v1/links") { Content = JsonContent.Create(body) };
        first.Headers.Add("Idempotency-Key", "order-42");
        var a = await (await _client.SendAsync(first)).ReadJsonAsync();
        var again = new HttpRequestMessage(HttpMethod.Post, "/v1/links") { Content = JsonContent.Create(body) };
        again.Headers.Add("Idempotency-Key", "order-42");
        var replay = await _client.SendAsync(again);
        replay.StatusCode.ShouldBe(HttpStatusCode.Created);
        replay.Headers.GetValues("Idempotent-Replayed").ShouldContain("true");
        var b = await replay.ReadJsonAsync();
        b.Str("id").ShouldBe(a.Str("id"));
        b.Str("token").ShouldBe(a.Str("token"));
        (await _client.GetFromJsonAsync<JsonObject>("/v1/links"))!["data"]!.AsArray().Count.ShouldBe(1);

        var different = new HttpRequestMessage(HttpMethod.Post, "/v1/links") { Content = JsonContent.Create(new { connector = "mysql", owner = new { id = "cust_1" } }) };
        different.Headers.Add("Idempotency-Key", "order-42");
        var conflict = await _client.SendAsync(different);
        conflict.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await conflict.ReadJsonAsync()).Str("code").ShouldBe("idempotency_key_reused");
    }

    [Fact]
    public async Task IdempotencyKeysAreSeparatePerOrganization()
    {
        var other = await _app.ClientForAsync("globex");
        foreach (var client in new[] { _client, other })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/links") { Content = JsonContent.Create(new { owner = new { id = "x" } }) };
            request.Headers.Add("Idempotency-Key", "same");
            (await client.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        (await other.GetFromJsonAsync<JsonObject>("/v1/links"))!["data"]!.AsArray().Count.ShouldBe(1);
    }
}

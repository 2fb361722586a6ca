using System.Text.Json.Nodes;
using ConnectLinks.Links;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ConnectLinks.Tests.Links;

public sealed class LinkLifecycleEventTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _app.ClientForAsync();
    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    [Fact]
    public async Task EveryStateChangeWritesItsEvent()
    {
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("partner-backend/1.0");
        var id = (await _client.CreateLinkAsync(new { metadata = new { account = "42" } })).Str("id");
        await _client.PostAsJsonAsync($"/v1/links/{id}/extend", new { expires_in = 900 });
        await _client.PostAsync($"/v1/links/{id}/regenerate", null);
        await _client.DeleteAsync($"/v1/links/{id}");

        var feed = await _client.GetFromJsonAsync<JsonObject>($"/v1/events?link_id={id}");
        var events = feed!["data"]!.AsArray();
        events.Select(e => e.Str("type")).ShouldBe(["link.revoked", "link.regenerated", "link.extended", "link.created"]);
        var created = events[3]!;
        created["data"]!.Str("link_id").ShouldBe(id);
        created["data"]!.Str("status").ShouldBe("waiting");
        created["data"]!["metadata"]!.Str("account").ShouldBe("42");
        created["actor"]!.Str("user_agent").ShouldBe("partner-backend/1.0");
        events[0]!["data"]!.Str("status").ShouldBe("revoked");
        feed.ToJsonString().ShouldNotContain("cl_"); // events never carry a token
    }

    [Fact]
    public async Task TheSweepExpiresLinksAndRecordsLinkExpiredOnce()
    {
        var soon = (await _client.CreateLinkAsync(new { expires_in = 300 })).Str("id");
        var later = (await _client.CreateLinkAsync(new { expires_in = 3600 })).Str("id");
        var revoked = (await _client.CreateLinkAsync(new { expires_in = 300 })).Str("id");
        await _client.DeleteAsync($"/v1/links/{revoked}");
        _app.Clock.Advance(TimeSpan.FromMinutes(6));

        // Readers see the truth before the sweep runs.
        (await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{soon}"))!.Str("status").ShouldBe("expired");

        var sweeper = _app.Services.GetRequiredService<LinkExpirySweeper>();
        await Task.WhenAll(sweeper.SweepOnceAsync(default), sweeper.SweepOnceAsync(default)); // two sweeps racing, as two instances would
        await using var db = _app.Db();
        (await db.Links.SingleAsync(l => l.Id == soon)).Status.ShouldBe(LinkStatus.Expired);
        (await db.Links.SingleAsync(l => l.Id == later)).Status.ShouldBe(LinkStatus.Waiting);
        (await db.Links.SingleAsync(l => l.Id == revoked)).Status.ShouldBe(LinkStatus.Revoked);
        (await db.Events.CountAsync(e => e.Type == "link.expired")).ShouldBe(1);
        (await db.Events.SingleAsync(e => e.Type == "link.expired")).LinkId.ShouldBe(soon);
    }

    [Fact]
    public async Task EventFeedFiltersAndPages()
    {
        for (var i = 0; i < 3; i++) await _client.CreateLinkAsync();
        var id = (await _client.CreateLinkAsync()).Str("id");
        await _client.DeleteAsync($"/v1/links/{id}");
        var revokedOnly = await _client.GetFromJsonAsync<JsonObject>("/v1/events?type=link.revoked");
        revokedOnly!["data"]!.AsArray().Select(e => e.Str("link_id")).ShouldBe([id]);

        var page = await _client.GetFromJsonAsync<JsonObject>("/v1/events?limit=2");
        page!["data"]!.AsArray().Count.ShouldBe(2);
        var rest = await _client.GetFromJsonAsync<JsonObject>("/v1/events?limit=10&cursor=" + page.Str("next_cursor"));
        rest!["data"]!.AsArray().Count.ShouldBe(3);
        rest["has_more"]!.GetValue<bool>().ShouldBeFalse();

        (await _client.GetAsync("/v1/events?type=link.exploded")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _client.GetAsync("/v1/events?link_id=nope")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}

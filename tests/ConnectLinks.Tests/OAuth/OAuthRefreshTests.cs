using System.Text.Json.Nodes;
using ConnectLinks.OAuth;
using Microsoft.Extensions.DependencyInjection;

namespace ConnectLinks.Tests.OAuth;

/// <summary>Refreshing OAuth access tokens, and reconnecting a connection whose grant died, against a real oidc-provider.</summary>
public sealed class OAuthRefreshTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new(TestOidcProvider.AppSettings());
    private HttpClient _partner = null!;

    public async Task InitializeAsync()
    {
        _partner = await _app.ClientForAsync();
    }

    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    private OAuthRefresher Refresher => _app.Services.GetRequiredService<OAuthRefresher>();

    /// <summary>Registers <paramref name="client"/> for oidc-test and runs a link's whole round trip: the new connection's id.</summary>
    private async Task<string> ConnectAsync((string Id, string Secret) client, HttpClient? partner = null, ConnectLinksApp? app = null)
    {
        partner ??= _partner;
        (await partner.PutAsJsonAsync("/v1/connectors/oidc-test/oauth-client", new { client_id = client.Id, client_secret = client.Secret })).EnsureSuccessStatusCode();
        var link = await partner.CreateLinkAsync(new { connector = "oidc-test" });
        using var browser = new OAuthBrowser(app ?? _app);
        (await browser.ConnectAsync(link.Str("url"))).Heading.ShouldContain("Connected");
        return (await partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!.Str("connection_id");
    }

    private async Task<JsonObject> CredentialsAsync(string connectionId, HttpClient? partner = null) =>
        (await (partner ?? _partner).GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}/credentials"))!["credentials"]!.AsObject();

    private async Task<string> StatusAsync(string connectionId) =>
        (await _partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}"))!.Str("status");

    [Fact]
    public async Task TokensAreRefreshedOnlyOnceTheyAreWithinTheLeadTimeOfExpiry()
    {
        var id = await ConnectAsync(TestOidcProvider.Client);
        var before = await CredentialsAsync(id);

        (await Refresher.RefreshDueAsync(default)).ShouldBe(0); // the provider's tokens live 10 minutes; the lead time is 5
        _app.Clock.Advance(TimeSpan.FromMinutes(6));
        (await Refresher.RefreshDueAsync(default)).ShouldBe(1);

        var after = await CredentialsAsync(id);
        after.Str("access_token").ShouldNotBe(before.Str("access_token"));
        after.Str("refresh_token").ShouldBe(before.Str("refresh_token")); // this client's refresh tokens are not rotated
        DateTimeOffset.Parse(after.Str("expires_at")).ShouldBeGreaterThan(DateTimeOffset.Parse(before.Str("expires_at")));
        (await TestOidcProvider.UserInfoStatusAsync(after.Str("access_token"))).ShouldBe(HttpStatusCode.OK);
        (await StatusAsync(id)).ShouldBe("active");
        (await Refresher.RefreshDueAsync(default)).ShouldBe(0);
    }

    [Fact]
    public async Task ARotatedRefreshTokenReplacesTheOldOne()
    {
        var id = await ConnectAsync(TestOidcProvider.RotatingClient);
        var first = await CredentialsAsync(id);

        (await Refresher.RefreshAsync(id, default)).ShouldBe(RefreshOutcome.Refreshed);
        var second = await CredentialsAsync(id);
        second.Str("refresh_token").ShouldNotBe(first.Str("refresh_token"));

        // The kept token is the live one: a second refresh works (the old one would now be refused as reused).
        (await Refresher.RefreshAsync(id, default)).ShouldBe(RefreshOutcome.Refreshed);
        var third = await CredentialsAsync(id);
        third.Str("refresh_token").ShouldNotBe(second.Str("refresh_token"));
        (await TestOidcProvider.UserInfoStatusAsync(third.Str("access_token"))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ARevokedGrantSetsNeedsReauthAndRecordsRefreshFailed()
    {
        var id = await ConnectAsync(TestOidcProvider.Client);
        var credentials = await CredentialsAsync(id);
        await TestOidcProvider.RevokeAsync(credentials.Str("refresh_token"), TestOidcProvider.Client);

        (await Refresher.RefreshAsync(id, default)).ShouldBe(RefreshOutcome.Failed);
        (await StatusAsync(id)).ShouldBe("needs_reauth");
        var events = await (await _partner.GetAsync($"/v1/events?type=connection.refresh_failed&connection_id={id}")).Content.ReadAsStringAsync();
        var data = JsonNode.Parse(events)!["data"]!.AsArray();
        data.Count.ShouldBe(1);
        data[0]!["data"]!.Str("status").ShouldBe("needs_reauth");
        events.ShouldNotContain(credentials.Str("refresh_token"));
        events.ShouldNotContain(credentials.Str("access_token"));
        (await _partner.GetFromJsonAsync<JsonObject>("/v1/connections?status=needs_reauth"))!["data"]!.AsArray().Count.ShouldBe(1);

        // A connection that needs reauthorization is left alone by the job.
        _app.Clock.Advance(TimeSpan.FromMinutes(20));
        (await Refresher.RefreshDueAsync(default)).ShouldBe(0);
    }

    [Fact]
    public async Task TwoConcurrentRefreshesOfOneConnectionRefreshItOnce()
    {
        // With rotation a second refresh would spend an already-rotated token and the provider would revoke the grant.
        var id = await ConnectAsync(TestOidcProvider.RotatingClient);
        for (var round = 0; round < 3; round++)
        {
            var outcomes = await Task.WhenAll(Refresher.RefreshAsync(id, default), Refresher.RefreshAsync(id, default));
            outcomes.Count(o => o == RefreshOutcome.Refreshed).ShouldBe(1, string.Join(",", outcomes));
            outcomes.Count(o => o == RefreshOutcome.Busy).ShouldBe(1, string.Join(",", outcomes));
            (await StatusAsync(id)).ShouldBe("active");
        }
        (await TestOidcProvider.UserInfoStatusAsync((await CredentialsAsync(id)).Str("access_token"))).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheBackgroundJobRefreshesOnItsOwn()
    {
        using var app = new ConnectLinksApp(TestOidcProvider.AppSettings(new() { ["ConnectLinks:OAuth:RefreshInterval"] = "00:00:00.200" }));
        var partner = await app.ClientForAsync();
        var id = await ConnectAsync(TestOidcProvider.Client, partner, app);
        var before = (await CredentialsAsync(id, partner)).Str("access_token");

        app.Clock.Advance(TimeSpan.FromMinutes(6));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string after;
        do
        {
            await Task.Delay(200);
            after = (await CredentialsAsync(id, partner)).Str("access_token");
        } while (after == before && DateTime.UtcNow < deadline);
        after.ShouldNotBe(before);
    }

    [Fact]
    public async Task AReconnectLinkReauthorizesTheSameConnection()
    {
        var id = await ConnectAsync(TestOidcProvider.Client);
        var old = await CredentialsAsync(id);
        await TestOidcProvider.RevokeAsync(old.Str("refresh_token"), TestOidcProvider.Client);
        (await Refresher.RefreshAsync(id, default)).ShouldBe(RefreshOutcome.Failed);

        var reconnect = await _partner.CreateLinkAsync(new { connection_id = id, connector = "oidc-test" });
        reconnect.Str("connector").ShouldBe("oidc-test");
        using var browser = new OAuthBrowser(_app);
        (await browser.ConnectAsync(reconnect.Str("url"))).Heading.ShouldContain("Connected");

        (await _partner.GetFromJsonAsync<JsonObject>($"/v1/links/{reconnect.Str("id")}"))!.Str("connection_id").ShouldBe(id);
        (await StatusAsync(id)).ShouldBe("active");
        (await _partner.GetFromJsonAsync<JsonObject>("/v1/connections"))!["data"]!.AsArray().Count.ShouldBe(1);
        var fresh = await CredentialsAsync(id);
        fresh.Str("refresh_token").ShouldNotBe(old.Str("refresh_token"));
        (await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?type=connection.updated&connection_id={id}"))!["data"]!.AsArray().Count.ShouldBe(1);

        // And it refreshes again.
        (await Refresher.RefreshAsync(id, default)).ShouldBe(RefreshOutcome.Refreshed);
    }
}

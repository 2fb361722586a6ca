using System.Text.Json.Nodes;
using ConnectLinks.Data;
using ConnectLinks.Security;
using ConnectLinks.Tests.Hosted;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Tests.OAuth;

/// <summary>The OAuth round trip of a link against a real OpenID provider (oidc-provider), browser by browser.</summary>
public sealed class OAuthFlowTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new(TestOidcProvider.AppSettings());
    private HttpClient _partner = null!;

    public async Task InitializeAsync()
    {
        _partner = await _app.ClientForAsync();
        await _app.AllowRedirectsAsync(_partner);
        await UseClientAsync("oidc-test", TestOidcProvider.Client);
    }

    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    private async Task UseClientAsync(string connector, (string Id, string Secret) client) =>
        (await _partner.PutAsJsonAsync($"/v1/connectors/{connector}/oauth-client", new { client_id = client.Id, client_secret = client.Secret })).EnsureSuccessStatusCode();

    private Task<JsonObject> NewLinkAsync(object? extra = null) =>
        _partner.CreateLinkAsync(extra ?? new { connector = "oidc-test", redirect_uri = "https://app.example.com/done?from=oauth" });

    private async Task<JsonObject> LinkAsync(string id) => (await _partner.GetFromJsonAsync<JsonObject>($"/v1/links/{id}"))!;

    private async Task<JsonObject> CredentialsAsync(string connectionId) =>
        (await _partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}/credentials"))!["credentials"]!.AsObject();

    private async Task<string[]> EventTypesAsync(string linkId) =>
        [.. (await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?link_id={linkId}"))!["data"]!.AsArray().Select(e => e.Str("type"))];

    [Theory]
    [InlineData("oidc-test")]
    [InlineData("oidc-test-post")]
    public async Task TheFullRoundTripStoresAccessAndRefreshTokensAndRedirectsBack(string connectorId)
    {
        var client = connectorId == "oidc-test" ? TestOidcProvider.Client : TestOidcProvider.PostClient;
        await UseClientAsync(connectorId, client);
        var link = await NewLinkAsync(new { connector = connectorId, redirect_uri = "https://app.example.com/done?from=oauth" });
        using var browser = new OAuthBrowser(_app);

        var (page, start) = await browser.StartAsync(link.Str("url"));
        page.Status.ShouldBe(HttpStatusCode.OK);
        page.Document.QuerySelector("form#oauth-form button")!.TextContent.ShouldStartWith("Connect with OpenID Connect");
        page.Document.QuerySelector("form#connect-form").ShouldBeNull();
        // The page's form posts here and is redirected to the provider: its CSP must allow that origin.
        page.Response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain($"form-action 'self' {TestOidcProvider.Url}");

        start.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var authorize = start.Headers.Location!;
        authorize.ToString().ShouldStartWith(TestOidcProvider.Url + "/auth?");
        var query = System.Web.HttpUtility.ParseQueryString(authorize.Query);
        query["client_id"].ShouldBe(client.Id);
        query["redirect_uri"].ShouldBe(OAuthBrowser.CallbackPrefix);
        query["code_challenge_method"].ShouldBe("S256");
        query["code_challenge"]!.Length.ShouldBe(43);
        query["state"]!.Length.ShouldBe(43);
        query["prompt"].ShouldBe("consent");
        authorize.ToString().ShouldNotContain("code_verifier");
        authorize.ToString().ShouldNotContain(client.Secret);
        start.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("cl_oauth_browser=") && c.Contains("httponly") && c.Contains("samesite=lax"));

        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("oauth_pending");
        var pending = (await _partner.GetFromJsonAsync<JsonObject>("/v1/links?status=oauth_pending"))!["data"]!.AsArray();
        pending.Select(l => l.Str("id")).ShouldContain(link.Str("id"));
        var pendingEvents = (await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?type=link.oauth_pending&link_id={link.Str("id")}"))!["data"]!.AsArray();
        pendingEvents.Count.ShouldBe(1);
        pendingEvents[0]!["data"]!.Str("status").ShouldBe("oauth_pending");

        var callback = await browser.SignInAtProviderAsync(authorize.ToString());
        var done = await browser.ReturnAsync(callback);
        done.Status.ShouldBe(HttpStatusCode.OK, done.Text);
        done.Heading.ShouldContain("Connected");

        var completed = await LinkAsync(link.Str("id"));
        completed.Str("status").ShouldBe("completed");
        var connectionId = completed.Str("connection_id");
        done.Document.QuerySelector("a#continue")!.GetAttribute("href")
            .ShouldBe($"https://app.example.com/done?from=oauth&status=success&link_id={link.Str("id")}&connection_id={connectionId}");

        var connection = (await _partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}"))!;
        connection.Str("connector").ShouldBe(connectorId);
        connection.Str("status").ShouldBe("active");
        connection["last_test"]!["ok"]!.GetValue<bool>().ShouldBeTrue();
        connection["config"]!.AsObject().Count.ShouldBe(0);

        var credentials = await CredentialsAsync(connectionId);
        credentials.Str("access_token").ShouldNotBeNullOrEmpty();
        credentials.Str("refresh_token").ShouldNotBeNullOrEmpty();
        credentials.Str("token_type").ShouldBe("Bearer");
        credentials.Str("scope").Split(' ').ShouldContain("offline_access");
        DateTimeOffset.Parse(credentials.Str("expires_at")).ShouldBeGreaterThan(_app.Clock.GetUtcNow().AddMinutes(5));
        (await TestOidcProvider.UserInfoStatusAsync(credentials.Str("access_token"))).ShouldBe(HttpStatusCode.OK);

        (await EventTypesAsync(link.Str("id"))).ShouldBe(["connection.credentials_read", "link.completed", "connection.created", "link.oauth_pending", "link.opened", "link.created"]);

        // No secret anywhere but the encrypted column: not in pages, events, the redirect, the state table.
        var code = System.Web.HttpUtility.ParseQueryString(new Uri(callback).Query)["code"]!;
        var events = await (await _partner.GetAsync("/v1/events")).Content.ReadAsStringAsync();
        foreach (var secret in new[] { credentials.Str("access_token"), credentials.Str("refresh_token"), code, client.Secret })
        {
            events.ShouldNotContain(secret);
            done.Html.ShouldNotContain(secret);
            page.Html.ShouldNotContain(secret);
        }
        await using var db = _app.Db();
        var state = await db.OAuthStates.AsNoTracking().SingleAsync();
        state.StateHash.ShouldBe(OpaqueToken.Hash(query["state"]!));
        state.UsedAt.ShouldNotBeNull();
        System.Text.Encoding.UTF8.GetString(state.SecretCiphertext).ShouldNotContain(query["state"]!);
        (await db.Connections.AsNoTracking().SingleAsync()).TokenExpiresAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task ATamperedStateIsRefusedAndTheRealOneStillWorks()
    {
        var link = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        var callback = await browser.AuthorizeAsync(link.Str("url"));
        var state = System.Web.HttpUtility.ParseQueryString(new Uri(callback).Query)["state"]!;
        var tampered = callback.Replace("state=" + state, "state=" + (state[0] == 'A' ? 'B' : 'A') + state[1..]);

        var refused = await browser.ReturnAsync(tampered);
        refused.Status.ShouldBe(HttpStatusCode.BadRequest);
        refused.Heading.ShouldBe("This sign-in could not be completed");
        (await browser.ReturnAsync(callback.Replace("state=" + state, "state=short"))).Status.ShouldBe(HttpStatusCode.BadRequest);

        (await browser.ReturnAsync(callback)).Heading.ShouldContain("Connected");
    }

    [Fact]
    public async Task AReplayedStateIsRefusedAndMakesNoSecondConnection()
    {
        var link = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        var callback = await browser.AuthorizeAsync(link.Str("url"));
        (await browser.ReturnAsync(callback)).Heading.ShouldContain("Connected");

        var replay = await browser.ReturnAsync(callback);
        replay.Status.ShouldBe(HttpStatusCode.BadRequest);
        replay.Heading.ShouldBe("This sign-in was already used");
        (await _partner.GetFromJsonAsync<JsonObject>("/v1/connections"))!["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task AStateReturnedToAnotherBrowserIsRefusedWithoutBurningIt()
    {
        var link = await NewLinkAsync();
        using var victim = new OAuthBrowser(_app);
        var callback = await victim.AuthorizeAsync(link.Str("url"));

        using var other = new OAuthBrowser(_app);
        var refused = await other.ReturnAsync(callback);
        refused.Status.ShouldBe(HttpStatusCode.BadRequest);
        refused.Heading.ShouldBe("Finish in the browser you started in");
        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("oauth_pending");

        (await victim.ReturnAsync(callback)).Heading.ShouldContain("Connected");
    }

    [Fact]
    public async Task ACodeUsedTwiceIsRefusedByTheProviderAndTheLinkStaysUsable()
    {
        var first = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        var firstCallback = await browser.AuthorizeAsync(first.Str("url"));
        (await browser.ReturnAsync(firstCallback)).Heading.ShouldContain("Connected");
        var code = System.Web.HttpUtility.ParseQueryString(new Uri(firstCallback).Query)["code"]!;

        // A second round trip whose callback carries the first (spent) code: only a code injection could do this.
        var second = await NewLinkAsync();
        var secondCallback = await browser.AuthorizeAsync(second.Str("url"));
        var secondCode = System.Web.HttpUtility.ParseQueryString(new Uri(secondCallback).Query)["code"]!;
        var page = await browser.ReturnAsync(secondCallback.Replace("code=" + secondCode, "code=" + code));
        page.Status.ShouldBe(HttpStatusCode.BadGateway);
        page.Heading.ShouldContain("did not issue access");
        page.Text.ShouldContain("invalid_grant");
        page.Html.ShouldNotContain(code);
        (await LinkAsync(second.Str("id"))).Str("status").ShouldBe("opened");
        (await browser.ConnectAsync(second.Str("url"))).Heading.ShouldContain("Connected");
    }

    [Fact]
    public async Task ACodeRedeemedWithAnotherRoundTripsVerifierFailsPkce()
    {
        var link = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        // Two round trips from one browser: A's code arrives with B's state, so B's verifier is sent with A's code.
        var (_, startA) = await browser.StartAsync(link.Str("url"));
        var (_, startB) = await browser.StartAsync(link.Str("url"));
        var callbackA = await browser.SignInAtProviderAsync(startA.Headers.Location!.ToString());
        var stateA = System.Web.HttpUtility.ParseQueryString(new Uri(callbackA).Query)["state"]!;
        var stateB = System.Web.HttpUtility.ParseQueryString(startB.Headers.Location!.Query)["state"]!;

        var page = await browser.ReturnAsync(callbackA.Replace("state=" + stateA, "state=" + stateB));
        page.Status.ShouldBe(HttpStatusCode.BadGateway);
        page.Text.ShouldContain("invalid_grant");
        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("opened");
        (await _partner.GetFromJsonAsync<JsonObject>("/v1/connections"))!["data"]!.AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task DecliningAtTheProviderShowsAClearPageAndTheLinkStaysUsable()
    {
        var link = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        var (_, start) = await browser.StartAsync(link.Str("url"));
        var callback = await browser.SignInAtProviderAsync(start.Headers.Location!.ToString(), deny: true);
        callback.ShouldContain("error=access_denied");

        var page = await browser.ReturnAsync(callback);
        page.Status.ShouldBe(HttpStatusCode.BadRequest);
        page.Heading.ShouldBe("OpenID Connect (generic) access was not granted");
        var retry = page.Document.QuerySelector("a.button.primary")!.GetAttribute("href")!;
        retry.ShouldStartWith("/connect/cl_");
        LinkPage.TokenOf(retry).ShouldBe(LinkPage.TokenOf(link.Str("url")), retry);
        var status = await LinkAsync(link.Str("id"));
        status.Str("status").ShouldBe("opened");
        status["attempts"]!.GetValue<int>().ShouldBe(0);

        (await browser.ConnectAsync(retry)).Heading.ShouldContain("Connected");
    }

    [Fact]
    public async Task ALinkThatExpiresDuringTheRoundTripShowsTheExpiredPage()
    {
        var link = await NewLinkAsync(new { connector = "oidc-test", expires_in = 300 });
        using var browser = new OAuthBrowser(_app);
        var callback = await browser.AuthorizeAsync(link.Str("url"));
        _app.Clock.Advance(TimeSpan.FromMinutes(6));

        var page = await browser.ReturnAsync(callback);
        page.Status.ShouldBe(HttpStatusCode.Gone);
        page.Heading.ShouldBe("This link has expired");
        (await _partner.GetFromJsonAsync<JsonObject>("/v1/connections"))!["data"]!.AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task ALinkRevokedDuringTheRoundTripShowsTheRevokedPage()
    {
        var link = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        var callback = await browser.AuthorizeAsync(link.Str("url"));
        (await _partner.DeleteAsync($"/v1/links/{link.Str("id")}")).EnsureSuccessStatusCode();

        var page = await browser.ReturnAsync(callback);
        page.Status.ShouldBe(HttpStatusCode.Gone);
        page.Heading.ShouldBe("This link is no longer active");
        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("revoked");
    }

    [Fact]
    public async Task ARegeneratedLinkKillsRoundTripsStartedWithTheOldToken()
    {
        var link = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        var callback = await browser.AuthorizeAsync(link.Str("url"));
        var regenerated = (await (await _partner.PostAsJsonAsync($"/v1/links/{link.Str("id")}/regenerate", new { })).ReadJsonAsync());

        (await browser.ReturnAsync(callback)).Status.ShouldBe(HttpStatusCode.NotFound);
        (await browser.ConnectAsync(regenerated.Str("url"))).Heading.ShouldContain("Connected");
    }

    [Fact]
    public async Task AReturnAfterTheStateLifetimeIsRefusedAndTheLinkStaysUsable()
    {
        var link = await NewLinkAsync();
        using var browser = new OAuthBrowser(_app);
        var callback = await browser.AuthorizeAsync(link.Str("url"));
        _app.Clock.Advance(TimeSpan.FromMinutes(11));

        var page = await browser.ReturnAsync(callback);
        page.Status.ShouldBe(HttpStatusCode.BadRequest);
        page.Heading.ShouldBe("That took too long");
        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("opened");
        (await browser.ConnectAsync(link.Str("url"))).Heading.ShouldContain("Connected");
    }

    [Fact]
    public async Task ATokenThatFailsTheTestRequestCountsAsAFailedAttempt()
    {
        // The userinfo test is pointed at a path the provider does not serve: the tokens are real, the test fails.
        using var app = new ConnectLinksApp(TestOidcProvider.AppSettings(new() { ["ConnectLinks:Connectors:BaseUrlOverrides:oidc-test"] = TestOidcProvider.Url + "/nowhere" }));
        var partner = await app.ClientForAsync();
        (await partner.PutAsJsonAsync("/v1/connectors/oidc-test/oauth-client", new { client_id = TestOidcProvider.Client.Id, client_secret = TestOidcProvider.Client.Secret })).EnsureSuccessStatusCode();
        var link = await partner.CreateLinkAsync(new { connector = "oidc-test" });
        using var browser = new OAuthBrowser(app);

        var page = await browser.ConnectAsync(link.Str("url"));
        page.Status.ShouldBe(HttpStatusCode.UnprocessableEntity);
        page.Document.QuerySelector("li.check.failed")!.TextContent.ShouldContain("404");
        page.Document.QuerySelector("form#oauth-form").ShouldNotBeNull();
        var status = (await partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!;
        status.Str("status").ShouldBe("opened");
        status["attempts"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task OAuthConnectorsAreOfferedOnlyOnceTheOrganizationHasAClient()
    {
        var other = await _app.ClientForAsync("globex");
        var link = await other.CreateLinkAsync(new { connectors = new[] { "oidc-test", "postgres", "mysql" } });
        using var browser = new OAuthBrowser(_app);
        var picker = await browser.GetAsync(link.Str("url"));
        var offered = picker.Document.QuerySelectorAll("#connector-list li").Select(li => li.GetAttribute("data-name")!).ToList();
        offered.Count.ShouldBe(2);
        offered.ShouldNotContain(name => name.Contains("oidc-test"));

        var direct = await other.CreateLinkAsync(new { connector = "oidc-test" });
        (await browser.GetAsync(direct.Str("url"))).Document.QuerySelector("form#oauth-form").ShouldBeNull();
    }
}

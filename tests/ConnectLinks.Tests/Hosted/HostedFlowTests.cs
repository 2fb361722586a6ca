using System.Text.Json.Nodes;
using ConnectLinks.Connections;
using ConnectLinks.Links;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Tests.Hosted;

/// <summary>The end customer's flow through the link page, without JavaScript, against a real PostgreSQL.</summary>
public sealed class HostedFlowTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new(new() { ["ConnectLinks:Network:AllowPrivateTargets"] = "true" });
    private HttpClient _partner = null!;

    public async Task InitializeAsync()
    {
        _partner = await _app.ClientForAsync();
        await _app.AllowRedirectsAsync(_partner);
        (await _partner.PatchAsJsonAsync("/v1/settings", new { branding = new { name = "Acme Analytics", accent_color = "#0f766e", support_email = "help@acme.test" } })).EnsureSuccessStatusCode();
    }

    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    private async Task<(JsonObject Link, LinkPage Page)> NewLinkAsync(object? extra = null)
    {
        var link = await _partner.CreateLinkAsync(extra ?? new { redirect_uri = "https://app.example.com/done?from=onboarding" });
        return (link, new LinkPage(_app.CreateClient(), link.Str("url")));
    }

    private async Task<JsonObject> LinkAsync(string id) => (await _partner.GetFromJsonAsync<JsonObject>($"/v1/links/{id}"))!;

    [Fact]
    public async Task AWrongPasswordThenTheRightOneConnectsAndRedirects()
    {
        var (link, page) = await NewLinkAsync();
        await page.OpenAsync();
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.Text.ShouldContain("Acme Analytics");
        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("opened");

        await page.SubmitAsync(LinkPage.PostgresCredentials("not-the-password"));
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        page.CheckStatuses.ShouldContain("failed");
        page.Document.QuerySelector("li.check.failed")!.TextContent.ShouldContain("password authentication failed");
        page.Html.ShouldNotContain("not-the-password");
        (page.Document.QuerySelector("#f-password") as AngleSharp.Html.Dom.IHtmlInputElement)!.Value.ShouldBeEmpty();
        (page.Document.QuerySelector("#f-database") as AngleSharp.Html.Dom.IHtmlInputElement)!.Value.ShouldBe(LinkPage.PostgresCredentials()["database"]);
        var afterFailure = await LinkAsync(link.Str("id"));
        afterFailure.Str("status").ShouldBe("opened");
        afterFailure["attempts"]!.GetValue<int>().ShouldBe(1);

        await page.SubmitAsync(LinkPage.PostgresCredentials());
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK, page.Text);
        page.Heading.ShouldContain("Connected");
        page.CheckStatuses.ShouldAllBe(s => s == "passed" || s == "warning");

        var completed = await LinkAsync(link.Str("id"));
        completed.Str("status").ShouldBe("completed");
        var connectionId = completed.Str("connection_id");
        var continueUrl = page.Document.QuerySelector("a#continue")!.GetAttribute("href")!;
        continueUrl.ShouldBe($"https://app.example.com/done?from=onboarding&status=success&link_id={link.Str("id")}&connection_id={connectionId}");
        page.Document.QuerySelector("a#continue")!.GetAttribute("data-auto-continue").ShouldNotBeNull(); // hosted.js goes back on its own
        page.Document.QuerySelector("meta[http-equiv=refresh]").ShouldBeNull(); // a timed refresh the customer cannot stop fails WCAG 2.2.1

        var connection = (await _partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}"))!;
        connection.Str("connector").ShouldBe("postgres");
        connection["owner"]!.Str("id").ShouldBe("cust_1");
        connection["config"]!.Str("database").ShouldBe(LinkPage.PostgresCredentials()["database"]);
        connection["config"]!.AsObject().ContainsKey("password").ShouldBeFalse();
        connection["last_test"]!["ok"]!.GetValue<bool>().ShouldBeTrue();

        var types = (await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?link_id={link.Str("id")}"))!["data"]!.AsArray().Select(e => e.Str("type")).ToArray();
        types.ShouldBe(["link.completed", "connection.created", "connection.test_failed", "link.opened", "link.created"]);

        // The link is spent: the page now says so, with a 410.
        await page.OpenAsync();
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.Gone);
        page.Heading.ShouldBe("This link has already been used");
    }

    [Fact]
    public async Task CredentialsNeedTheSecretsScopeAndAreAudited()
    {
        var (link, page) = await NewLinkAsync();
        await page.OpenAsync();
        await page.SubmitAsync(LinkPage.PostgresCredentials());
        var connectionId = (await LinkAsync(link.Str("id"))).Str("connection_id");

        var plain = await _app.ClientForAsync(scopes: Scopes.Default);
        (await plain.GetAsync($"/v1/connections/{connectionId}/credentials")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var credentials = await _partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}/credentials");
        credentials!["credentials"]!.Str("password").ShouldBe(LinkPage.PostgresCredentials()["password"]);
        credentials["config"]!.Str("username").ShouldBe(LinkPage.PostgresCredentials()["username"]);
        var reads = await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?type=connection.credentials_read&connection_id={connectionId}");
        reads!["data"]!.AsArray().Count.ShouldBe(1);
        reads.ToJsonString().ShouldNotContain(LinkPage.PostgresCredentials()["password"]);
    }

    [Fact]
    public async Task ValidationErrorsShowNextToTheFieldAndDoNotCountAsAttempts()
    {
        var (link, page) = await NewLinkAsync();
        await page.OpenAsync();
        var values = LinkPage.PostgresCredentials();
        values["database"] = "";
        values["port"] = "not-a-port";
        await page.SubmitAsync(values);
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        page.Document.QuerySelector("#f-database-error").ShouldNotBeNull();
        page.Document.QuerySelector("#f-port-error").ShouldNotBeNull();
        page.Document.QuerySelector("#f-database")!.GetAttribute("aria-invalid").ShouldBe("true");
        page.Html.ShouldNotContain(values["password"]);
        (await LinkAsync(link.Str("id")))["attempts"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task TooManyFailedAttemptsLockTheLink()
    {
        var (link, page) = await NewLinkAsync(new { max_attempts = 2 });
        await page.OpenAsync();
        await page.SubmitAsync(LinkPage.PostgresCredentials("wrong-1"));
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        page.Text.ShouldContain("1 attempt left");
        await page.SubmitAsync(LinkPage.PostgresCredentials("wrong-2"));
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.Gone);
        page.Heading.ShouldBe("This link is locked");
        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("locked");
        (await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?type=link.locked"))!["data"]!.AsArray().Count.ShouldBe(1);

        // Even the right password does nothing now, until the partner regenerates the link.
        await page.OpenAsync();
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.Gone);
        var regenerated = await (await _partner.PostAsync($"/v1/links/{link.Str("id")}/regenerate", null)).ReadJsonAsync();
        var fresh = new LinkPage(_app.CreateClient(), regenerated.Str("url"));
        await fresh.OpenAsync();
        await fresh.SubmitAsync(LinkPage.PostgresCredentials());
        fresh.Heading.ShouldContain("Connected");
    }

    [Fact]
    public async Task DeadLinksGetAClearPageAndUnknownTokensA404ThatSaysNothing()
    {
        var (expired, expiredPage) = await NewLinkAsync(new { expires_in = 300 });
        var (revoked, revokedPage) = await NewLinkAsync();
        await _partner.DeleteAsync($"/v1/links/{revoked.Str("id")}");
        var (regenerated, oldPage) = await NewLinkAsync();
        await _partner.PostAsync($"/v1/links/{regenerated.Str("id")}/regenerate", null);
        _app.Clock.Advance(TimeSpan.FromMinutes(6));

        await expiredPage.OpenAsync();
        expiredPage.Response!.StatusCode.ShouldBe(HttpStatusCode.Gone);
        expiredPage.Heading.ShouldBe("This link has expired");
        await revokedPage.OpenAsync();
        revokedPage.Response!.StatusCode.ShouldBe(HttpStatusCode.Gone);
        revokedPage.Heading.ShouldBe("This link is no longer active");

        // A regenerated link's old token and a token that never existed look exactly the same.
        await oldPage.OpenAsync();
        var never = new LinkPage(_app.CreateClient(), "http://localhost/connect/" + OpaqueToken.New(OpaqueToken.LinkPrefix));
        await never.OpenAsync();
        var garbage = new LinkPage(_app.CreateClient(), "http://localhost/connect/hello");
        await garbage.OpenAsync();
        foreach (var page in new[] { oldPage, never, garbage })
        {
            page.Response!.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            page.Heading.ShouldBe("Link not found");
            page.Text.ShouldNotContain("Acme");
        }
        never.Document.QuerySelector("main")!.InnerHtml.ShouldBe(garbage.Document.QuerySelector("main")!.InnerHtml);
    }

    [Fact]
    public async Task OpeningTheLinkNeverConsumesIt()
    {
        var (link, page) = await NewLinkAsync();
        for (var i = 0; i < 3; i++)
        {
            await page.OpenAsync();
            page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        var read = await LinkAsync(link.Str("id"));
        read.Str("status").ShouldBe("opened");
        read["uses"]!.GetValue<int>().ShouldBe(0);
        (await _partner.GetFromJsonAsync<JsonObject>("/v1/events?type=link.opened"))!["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task ThePickerListsAllowedConnectorsWithSearchAndCategories()
    {
        var (_, page) = await NewLinkAsync(new { connectors = new[] { "postgres", "mysql", "s3", "hubspot" } });
        await page.OpenAsync();
        var names = page.Document.QuerySelectorAll("ul.connectors li a").Select(a => a.GetAttribute("href")!).ToArray();
        names.Length.ShouldBe(4);
        names.ShouldAllBe(href => href.StartsWith(page.Path + "?connector="));
        page.Document.QuerySelector("input[type=search][name=q]").ShouldNotBeNull();
        page.Document.QuerySelectorAll("select#category option").Length.ShouldBeGreaterThan(2);

        await page.OpenAsync("?q=postg");
        page.Document.QuerySelectorAll("ul.connectors li").Length.ShouldBe(1);
        await page.OpenAsync("?category=storage");
        page.Document.QuerySelectorAll("ul.connectors li a").Select(a => a.GetAttribute("href")).ShouldBe([page.Path + "?connector=s3"]);

        await page.OpenAsync("?connector=mysql");
        page.Document.QuerySelector("form#connect-form input[name=connector]")!.GetAttribute("value").ShouldBe("mysql");
        page.Document.QuerySelector("p.back a").ShouldNotBeNull();
        await page.OpenAsync("?connector=redis"); // not allowed by this link: back to the picker
        page.Document.QuerySelector("form#connect-form").ShouldBeNull();
    }

    [Fact]
    public async Task CategoriesLimitThePickerAndPrefillFillsTheForm()
    {
        var (_, byCategory) = await NewLinkAsync(new { categories = new[] { "storage" } });
        await byCategory.OpenAsync();
        byCategory.Document.QuerySelector("input[name=connector]")!.GetAttribute("value").ShouldBe("s3"); // the only storage connector: straight to its form

        var (_, prefilled) = await NewLinkAsync(new { prefill = new { host = "db.acme.test", database = "warehouse" } });
        await prefilled.OpenAsync();
        prefilled.Document.QuerySelector("#f-host")!.GetAttribute("value").ShouldBe("db.acme.test");
        prefilled.Document.QuerySelector("#f-database")!.GetAttribute("value").ShouldBe("warehouse");
        prefilled.Document.QuerySelector("#f-port")!.GetAttribute("value").ShouldBe("5432");
    }

    [Fact]
    public async Task CancelGoesBackWithStatusCancelledAndKeepsTheLink()
    {
        var (link, page) = await NewLinkAsync();
        var browser = _app.CreateClient(new() { AllowAutoRedirect = false });
        var response = await browser.GetAsync(page.Path + "/cancel");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldBe($"https://app.example.com/done?from=onboarding&status=cancelled&link_id={link.Str("id")}");
        (await LinkAsync(link.Str("id"))).Str("status").ShouldBe("waiting");

        var (_, noRedirect) = await NewLinkAsync(new { title = "No way back" });
        var plain = await browser.GetAsync(noRedirect.Path + "/cancel");
        plain.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await plain.Content.ReadAsStringAsync()).ShouldContain("Cancelled");
    }

    [Fact]
    public async Task PagesCarryTheSecurityHeaders()
    {
        var (_, page) = await NewLinkAsync();
        await page.OpenAsync();
        var headers = page.Response!.Headers;
        var csp = headers.GetValues("Content-Security-Policy").Single();
        csp.ShouldContain("frame-ancestors 'none'");
        csp.ShouldContain("script-src 'self'");
        csp.ShouldNotContain("unsafe-inline");
        csp.ShouldNotContain("unsafe-eval");
        headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
        headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        headers.CacheControl!.NoStore.ShouldBeTrue();
        page.Document.QuerySelectorAll("script:not([src])").Length.ShouldBe(0); // no inline script
        page.Document.QuerySelectorAll("[style]").Length.ShouldBe(0);
        page.Document.QuerySelector("input[name=__af]").ShouldNotBeNull();
    }

    [Fact]
    public async Task APostWithoutTheAntiforgeryTokenChangesNothing()
    {
        var (link, page) = await NewLinkAsync();
        await page.OpenAsync();
        var forged = new FormUrlEncodedContent(LinkPage.PostgresCredentials().Append(new("connector", "postgres")));
        var response = await _app.CreateClient().PostAsync(page.Path, forged);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var read = await LinkAsync(link.Str("id"));
        read["attempts"]!.GetValue<int>().ShouldBe(0);
        read["uses"]!.GetValue<int>().ShouldBe(0);
        await using var db = _app.Db();
        (await db.Connections.CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task ReconnectLinksUpdateTheSameConnectionInPlace()
    {
        var (link, page) = await NewLinkAsync();
        await page.OpenAsync();
        await page.SubmitAsync(LinkPage.PostgresCredentials());
        var connectionId = (await LinkAsync(link.Str("id"))).Str("connection_id");

        var reconnect = await _partner.CreateLinkAsync(new { connection_id = connectionId });
        reconnect.Str("connector").ShouldBe("postgres");
        var again = new LinkPage(_app.CreateClient(), reconnect.Str("url"));
        await again.OpenAsync();
        var values = LinkPage.PostgresCredentials();
        values["schema"] = "public";
        values["sslmode"] = "prefer";
        await again.SubmitAsync(values);
        again.Heading.ShouldContain("Connected");

        (await LinkAsync(reconnect.Str("id"))).Str("connection_id").ShouldBe(connectionId);
        var connections = await _partner.GetFromJsonAsync<JsonObject>("/v1/connections");
        connections!["data"]!.AsArray().Count.ShouldBe(1);
        connections["data"]![0]!["config"]!.Str("sslmode").ShouldBe("prefer");
        (await _partner.GetFromJsonAsync<JsonObject>($"/v1/events?type=connection.updated&connection_id={connectionId}"))!["data"]!.AsArray().Count.ShouldBe(1);

        (await _partner.PostAsJsonAsync("/v1/links", new { owner = new { id = "c" }, connection_id = "con_01m809vxjdqnjk15b2yq4wdq5h" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _partner.PostAsJsonAsync("/v1/links", new { owner = new { id = "c" }, connection_id = connectionId, connector = "mysql" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TwentyConcurrentValidSubmissionsMakeExactlyOneConnection()
    {
        var (link, page) = await NewLinkAsync();
        await page.OpenAsync();
        var pages = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            var p = new LinkPage(_app.CreateClient(), link.Str("url"));
            await p.OpenAsync();
            return p;
        }));
        await Task.WhenAll(pages.Select(p => p.SubmitAsync(LinkPage.PostgresCredentials())));
        pages.Count(p => p.Response!.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        pages.Count(p => p.Response!.StatusCode == HttpStatusCode.Gone).ShouldBe(19);

        await using var db = _app.Db();
        (await db.Connections.CountAsync()).ShouldBe(1);
        var stored = await db.Links.SingleAsync(l => l.Id == link.Str("id"));
        stored.Status.ShouldBe(LinkStatus.Completed);
        stored.Uses.ShouldBe(1);
        (await db.Events.CountAsync(e => e.Type == "connection.created")).ShouldBe(1);
    }

    [Fact]
    public async Task WithDefaultNetworkRulesPrivateTargetsAreRefusedBeforeConnecting()
    {
        using var guarded = new ConnectLinksApp();
        var partner = await guarded.ClientForAsync();
        var link = await partner.CreateLinkAsync();
        var page = new LinkPage(guarded.CreateClient(), link.Str("url"));
        await page.OpenAsync();
        await page.SubmitAsync(LinkPage.PostgresCredentials());
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        page.Document.QuerySelector("li.check.failed")!.TextContent.ShouldContain("not allowed");
    }
}

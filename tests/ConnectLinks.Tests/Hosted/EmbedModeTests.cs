using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ConnectLinks.Tests.Hosted;

/// <summary>Embedded mode (SPEC §5): framing only by allowed origins, messages for the partner's page, forms without cookies.</summary>
public sealed class EmbedModeTests : IAsyncLifetime
{
    private const string Partner = "https://app.example.com";
    private readonly ConnectLinksApp _app = new(new() { ["ConnectLinks:Network:AllowPrivateTargets"] = "true" });
    private HttpClient _api = null!;

    public async Task InitializeAsync()
    {
        _api = await _app.ClientForAsync();
        (await _api.PatchAsJsonAsync("/v1/settings", new { allowed_embed_origins = new[] { Partner }, allowed_redirect_origins = new[] { Partner } }))
            .EnsureSuccessStatusCode();
    }

    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    /// <summary>
    /// A browser in a cross-site iframe: it gets no SameSite cookie back, so this client keeps none; and it says, as
    /// browsers do, that the page's own form posts come from the same origin (unless <paramref name="fetchMetadata"/> is off).
    /// </summary>
    private HttpClient FramedBrowser(bool fetchMetadata = true)
    {
        var client = _app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        if (fetchMetadata) client.DefaultRequestHeaders.Add("Sec-Fetch-Site", "same-origin");
        return client;
    }

    private async Task<(JsonObject Link, LinkPage Page)> OpenEmbeddedAsync(string origin = Partner)
    {
        var link = await _api.CreateLinkAsync(new { connector = "postgres", redirect_uri = Partner + "/done" });
        var page = await new LinkPage(FramedBrowser(), link.Str("url")).OpenAsync("?embed=" + Uri.EscapeDataString(origin));
        return (link, page);
    }

    private static string Csp(LinkPage page) => page.Response!.Headers.GetValues("Content-Security-Policy").Single();
    private static string? Body(LinkPage page, string attribute) => page.Document.Body!.GetAttribute(attribute);

    [Fact]
    public async Task AnAllowedOriginMayFrameTheFlowAndHearsHowItEnds()
    {
        var (link, page) = await OpenEmbeddedAsync();
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK);
        Csp(page).ShouldContain("frame-ancestors https://app.example.com;");
        Csp(page).ShouldNotContain("'none'; base-uri"); // frame-ancestors is no longer 'none'
        page.Response.Headers.Contains("X-Frame-Options").ShouldBeFalse();
        page.Response.Headers.Contains("Set-Cookie").ShouldBeFalse(); // no anti-forgery cookie: it would not come back
        Body(page, "data-embed-origin").ShouldBe(Partner);
        Body(page, "data-embed-type").ShouldBe("ready");
        Body(page, "data-embed-link").ShouldBe(link.Str("id"));
        var form = page.Document.QuerySelector("form#connect-form")!;
        form.GetAttribute("action").ShouldEndWith("?embed=https%3A%2F%2Fapp.example.com");
        form.QuerySelector("input[name=__embed]").ShouldNotBeNull();
        page.Document.QuerySelector("a.button.secondary")!.GetAttribute("href").ShouldEndWith("/cancel?embed=https%3A%2F%2Fapp.example.com");

        await page.SubmitAsync(LinkPage.PostgresCredentials("not-the-password"));
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity, page.Text);
        Csp(page).ShouldContain("frame-ancestors https://app.example.com;");
        await page.SubmitAsync(LinkPage.PostgresCredentials());
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK, page.Text);
        page.Heading.ShouldContain("Connected");

        var connectionId = (await _api.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!.Str("connection_id");
        Body(page, "data-embed-type").ShouldBe("success");
        Body(page, "data-embed-connection").ShouldBe(connectionId);
        page.Document.QuerySelector("a#continue").ShouldBeNull(); // the partner's page closes the frame; no redirect inside it
    }

    [Fact]
    public async Task AnyOtherOriginGetsThePageNoOneMayFrame()
    {
        var (_, page) = await OpenEmbeddedAsync("https://evil.example");
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK);
        Csp(page).ShouldContain("frame-ancestors 'none'");
        page.Response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        Body(page, "data-embed-origin").ShouldBeNull();
        page.Document.QuerySelector("form#connect-form input[name=__embed]").ShouldBeNull();
        page.Document.QuerySelector("form#connect-form input[name=__af]").ShouldNotBeNull();

        // An allowed origin on another port or scheme is another origin.
        (_, page) = await OpenEmbeddedAsync("https://app.example.com:8443");
        Csp(page).ShouldContain("frame-ancestors 'none'");
        (_, page) = await OpenEmbeddedAsync("http://app.example.com");
        Csp(page).ShouldContain("frame-ancestors 'none'");
    }

    [Fact]
    public async Task AnEmbeddedPostNeedsItsOwnLinksFormTokenAndThisServicesOrigin()
    {
        var (link, page) = await OpenEmbeddedAsync();
        var (_, other) = await OpenEmbeddedAsync();
        var action = page.Document.QuerySelector("form#connect-form")!.GetAttribute("action")!;
        var browser = FramedBrowser(fetchMetadata: false);

        async Task<HttpResponseMessage> PostAsync(string? formToken, string? origin = null, string? fetchSite = null)
        {
            var fields = LinkPage.PostgresCredentials("not-the-password").ToList();
            fields.Add(new("connector", "postgres"));
            if (formToken is not null) fields.Add(new("__embed", formToken));
            using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) };
            if (origin is not null) request.Headers.Add("Origin", origin);
            if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
            return await browser.SendAsync(request);
        }
        string TokenOf(LinkPage p) => p.Document.QuerySelector("input[name=__embed]")!.GetAttribute("value")!;

        (await PostAsync(null, fetchSite: "same-origin")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await PostAsync("not-a-token", fetchSite: "same-origin")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await PostAsync(TokenOf(other), fetchSite: "same-origin")).StatusCode.ShouldBe(HttpStatusCode.BadRequest); // another link's form
        (await PostAsync(TokenOf(page), origin: "https://evil.example", fetchSite: "same-origin")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        // Without fetch metadata nothing shows the post came from our page (an old browser, or a forged request).
        (await PostAsync(TokenOf(page))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await PostAsync(TokenOf(page), origin: "null")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await PostAsync(TokenOf(page), origin: "null", fetchSite: "cross-site")).StatusCode.ShouldBe(HttpStatusCode.BadRequest); // a sandboxed frame elsewhere
        (await _api.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!["attempts"]!.GetValue<int>().ShouldBe(0);

        var genuine = await PostAsync(TokenOf(page), origin: "http://localhost", fetchSite: "same-origin");
        genuine.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity); // it ran the test: the password was wrong
        // What Chromium sends from our own framed page: Origin is "null" under Referrer-Policy: no-referrer.
        (await PostAsync(TokenOf(page), origin: "null", fetchSite: "same-origin")).StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await _api.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!["attempts"]!.GetValue<int>().ShouldBe(2);

        // Regenerating the link kills the forms served for its old token, as it kills the token.
        var regenerated = await _api.PostAsJsonAsync($"/v1/links/{link.Str("id")}/regenerate", new { });
        regenerated.EnsureSuccessStatusCode();
        var fresh = (await regenerated.ReadJsonAsync()).Str("url");
        using var stale = new HttpRequestMessage(HttpMethod.Post, new Uri(fresh).AbsolutePath + "?embed=" + Uri.EscapeDataString(Partner))
        {
            Content = new FormUrlEncodedContent([new("connector", "postgres"), new("__embed", TokenOf(page))]),
        };
        stale.Headers.Add("Sec-Fetch-Site", "same-origin");
        (await browser.SendAsync(stale)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task EmbeddedDeadLinksSayErrorAndCancelSaysExit()
    {
        var (link, page) = await OpenEmbeddedAsync();
        var cancel = await FramedBrowser().GetAsync(page.Document.QuerySelector("a.button.secondary")!.GetAttribute("href"));
        cancel.StatusCode.ShouldBe(HttpStatusCode.OK); // not a redirect: the frame must not load the partner's app
        var cancelled = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await cancel.Content.ReadAsStringAsync());
        cancelled.Body!.GetAttribute("data-embed-type").ShouldBe("exit");

        (await _api.DeleteAsync($"/v1/links/{link.Str("id")}")).EnsureSuccessStatusCode();
        await page.OpenAsync("?embed=" + Uri.EscapeDataString(Partner));
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.Gone);
        Body(page, "data-embed-type").ShouldBe("error");
        Body(page, "data-embed-error").ShouldBe("revoked");
        Csp(page).ShouldContain("frame-ancestors https://app.example.com;");
    }

    [Fact]
    public async Task APostThatIsNotAFormIsRefusedPlainly()
    {
        var (link, page) = await OpenEmbeddedAsync();
        var path = new Uri(link.Str("url")).AbsolutePath;
        foreach (var target in new[] { path, path + "?embed=" + Uri.EscapeDataString(Partner), path + "/oauth?embed=" + Uri.EscapeDataString(Partner) })
        {
            var response = await FramedBrowser().PostAsJsonAsync(target, new { connector = "postgres" });
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, target);
        }
        (await _api.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!["attempts"]!.GetValue<int>().ShouldBe(0);
    }

    [Fact]
    public async Task EmbeddedOAuthSignInLeavesTheFrame()
    {
        (await _api.PutAsJsonAsync("/v1/connectors/hubspot-oauth/oauth-client", new { client_id = "client-1", client_secret = "secret-1" })).EnsureSuccessStatusCode();
        async Task<string?> TargetAsync(object body)
        {
            var link = await _api.CreateLinkAsync(body);
            var page = await new LinkPage(FramedBrowser(), link.Str("url")).OpenAsync("?embed=" + Uri.EscapeDataString(Partner));
            page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK, page.Text);
            return page.Document.QuerySelector("form#oauth-form")!.GetAttribute("target");
        }
        // With a redirect_uri the whole window goes to the provider and comes back there; without one, a new window.
        (await TargetAsync(new { connector = "hubspot-oauth", redirect_uri = Partner + "/done" })).ShouldBe("_top");
        (await TargetAsync(new { connector = "hubspot-oauth" })).ShouldBe("_blank");
        var plain = await _api.CreateLinkAsync(new { connector = "hubspot-oauth" });
        (await new LinkPage(_app.CreateClient(), plain.Str("url")).OpenAsync()).Document.QuerySelector("form#oauth-form")!.GetAttribute("target").ShouldBeNull();
    }

    [Fact]
    public async Task WithoutEmbedThePageIsUnchanged()
    {
        var link = await _api.CreateLinkAsync(new { connector = "postgres" });
        var page = await new LinkPage(_app.CreateClient(), link.Str("url")).OpenAsync();
        Csp(page).ShouldContain("frame-ancestors 'none'");
        Body(page, "data-embed-origin").ShouldBeNull();
        page.Document.QuerySelector("form#connect-form")!.GetAttribute("action")!.ShouldNotContain("embed");
    }

    [Fact]
    public async Task ConnectJsIsServedToPartnersPages()
    {
        var response = await _app.CreateClient().GetAsync("/connect.js");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
        (await response.Content.ReadAsStringAsync()).ShouldContain("window.ConnectLinks = { open: open }");
    }
}

using System.Text.Json.Nodes;
using ConnectLinks.Tests.Hosted;
using Microsoft.Playwright;

namespace ConnectLinks.Tests.Browser;

/// <summary>The end customer's pages in a real Chromium, against a real PostgreSQL, with screenshots of each page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class HostedFlowBrowserTests
{
    private static Task<BrowserSession> StartAsync() => BrowserSession.StartAsync(new() { ["ConnectLinks:Network:AllowPrivateTargets"] = "true" });

    /// <summary>A partner with branding, redirects allowed back to this same server (an http loopback origin).</summary>
    private static async Task<HttpClient> PartnerAsync(BrowserSession browser)
    {
        var partner = await browser.App.ClientForAsync();
        var origin = browser.BaseAddress.GetLeftPart(UriPartial.Authority);
        (await partner.PatchAsJsonAsync("/v1/settings", new
        {
            allowed_redirect_origins = new[] { origin },
            branding = new { name = "Acme Analytics", accent_color = "#0f766e", support_email = "help@acme.test" },
        })).EnsureSuccessStatusCode();
        return partner;
    }

    private static async Task FillPostgresAsync(IPage page, string password)
    {
        var values = LinkPage.PostgresCredentials(password);
        await page.GetByLabel("Host").FillAsync(values["host"]);
        await page.GetByLabel("Port").FillAsync(values["port"]);
        await page.GetByLabel("Database").FillAsync(values["database"]);
        await page.GetByLabel("Username").FillAsync(values["username"]);
        await page.GetByLabel("Password").FillAsync(values["password"]);
        await page.GetByLabel("SSL mode").SelectOptionAsync("disable");
    }

    [Fact]
    public async Task AWrongPasswordThenTheRightOneConnectsAndGoesBackToThePartner()
    {
        await using var browser = await StartAsync();
        var partner = await PartnerAsync(browser);
        var link = await partner.CreateLinkAsync(new { redirect_uri = browser.Url("/healthz?from=onboarding"), title = "Connect your warehouse" });
        var page = await browser.NewPageAsync();

        await page.GotoAsync(link.Str("url"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Connect your warehouse" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Acme Analytics").First).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(page, "1-form");
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);

        await FillPostgresAsync(page, "not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        await Assertions.Expect(page.Locator("li.check.failed")).ToContainTextAsync("password authentication failed");
        (await page.GetByLabel("Password").InputValueAsync()).ShouldBeEmpty();
        (await page.ContentAsync()).ShouldNotContain("not-the-password");
        await BrowserSession.ScreenshotAsync(page, "2-failed");
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);

        await FillPostgresAsync(page, LinkPage.PostgresCredentials()["password"]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Connected" })).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(page, "3-connected");
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);

        // The page goes back to the partner on its own after a few seconds (hosted.js), or on a click.
        await Assertions.Expect(page.GetByText("Taking you back in")).ToBeVisibleAsync();
        await page.WaitForURLAsync(url => url.Contains("status=success"), new() { Timeout = 15_000 });
        var back = new Uri(page.Url);
        back.AbsolutePath.ShouldBe("/healthz");
        back.Query.ShouldContain("from=onboarding");
        back.Query.ShouldContain($"link_id={link.Str("id")}");
        back.Query.ShouldContain("connection_id=con_");
        browser.ShouldHaveNoPageErrors();
    }

    [Fact]
    public async Task ThePickerFiltersAsTheCustomerTypesAndOpensTheChosenForm()
    {
        await using var browser = await StartAsync();
        var partner = await PartnerAsync(browser);
        var link = await partner.CreateLinkAsync(new { connectors = new[] { "postgres", "mysql", "redis", "s3", "hubspot", "stripe" } });
        var page = await browser.NewPageAsync();

        await page.GotoAsync(link.Str("url"));
        var items = page.Locator("ul.connectors li");
        (await items.CountAsync()).ShouldBe(6);
        await BrowserSession.ScreenshotAsync(page, "1-picker");
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);

        await page.GetByRole(AriaRole.Searchbox).FillAsync("post");
        await Assertions.Expect(page.Locator("ul.connectors li:visible")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Searchbox).FillAsync("");
        await page.GetByLabel("Category").SelectOptionAsync("storage");
        await Assertions.Expect(page.Locator("ul.connectors li:visible")).ToHaveCountAsync(1);
        await BrowserSession.ScreenshotAsync(page, "2-filtered");

        await page.GetByRole(AriaRole.Link, new() { Name = "Amazon S3" }).Or(page.Locator("ul.connectors li:visible a")).First.ClickAsync();
        await Assertions.Expect(page.Locator("form#connect-form input[name=connector]")).ToHaveValueAsync("s3");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "← Choose another system" })).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(page, "3-s3-form");
        browser.ShouldHaveNoPageErrors();
    }

    [Fact]
    public async Task AnExpiredLinkShowsAClearGonePage()
    {
        await using var browser = await StartAsync();
        var partner = await PartnerAsync(browser);
        var link = await partner.CreateLinkAsync(new { expires_in = 300 });
        browser.App.Clock.Advance(TimeSpan.FromMinutes(6));
        var page = await browser.NewPageAsync();

        var response = await page.GotoAsync(link.Str("url"));
        response!.Status.ShouldBe(410);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This link has expired" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Ask Acme Analytics to send you a new link.")).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(page);
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task OnAPhoneTheFormFitsTheScreenAndConnects()
    {
        await using var browser = await StartAsync();
        var partner = await PartnerAsync(browser);
        var link = await partner.CreateLinkAsync();
        var page = await browser.NewPageAsync(BrowserSession.Phone);

        await page.GotoAsync(link.Str("url"));
        (await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth")).ShouldBeTrue("the page scrolls sideways on a phone");
        var button = await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).BoundingBoxAsync();
        button!.Height.ShouldBeGreaterThanOrEqualTo(44); // a thumb-sized target
        await BrowserSession.ScreenshotAsync(page, "1-form");

        await FillPostgresAsync(page, LinkPage.PostgresCredentials()["password"]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).TapAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Connected" })).ToBeVisibleAsync();
        (await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth")).ShouldBeTrue();
        await BrowserSession.ScreenshotAsync(page, "2-connected");
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task TheFlowCanBeCompletedWithTheKeyboardAlone()
    {
        await using var browser = await StartAsync();
        var partner = await PartnerAsync(browser);
        var link = await partner.CreateLinkAsync(new { prefill = new { host = LinkPage.PostgresCredentials()["host"], port = LinkPage.PostgresCredentials()["port"] } });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(link.Str("url"));

        // Tab through the form in order, typing into each field; no mouse.
        var typed = new Dictionary<string, string>
        {
            ["f-database"] = LinkPage.PostgresCredentials()["database"],
            ["f-username"] = LinkPage.PostgresCredentials()["username"],
            ["f-password"] = LinkPage.PostgresCredentials()["password"],
        };
        var visited = new List<string>();
        for (var i = 0; i < 20 && visited.Count < 12; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var id = await page.EvaluateAsync<string>("() => document.activeElement?.id ?? ''");
            visited.Add(id);
            if (typed.TryGetValue(id, out var text)) await page.Keyboard.TypeAsync(text);
            if (id == "f-sslmode") await page.Keyboard.PressAsync("ArrowUp"); // prefer → disable
            if (await page.EvaluateAsync<bool>("() => document.activeElement?.matches('button[type=submit]') ?? false")) break;
        }
        visited.ShouldContain("f-host");
        visited.ShouldContain("f-password");
        (await page.EvaluateAsync<string>("() => document.activeElement?.textContent?.trim() ?? ''")).ShouldBe("Connect");
        // Focus is visible where it is: the outline is drawn.
        (await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle")).ShouldNotBe("none");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Connected" })).ToBeVisibleAsync();
        await BrowserSession.ScreenshotAsync(page);
        var read = await partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}");
        read!.Str("status").ShouldBe("completed");
    }
}

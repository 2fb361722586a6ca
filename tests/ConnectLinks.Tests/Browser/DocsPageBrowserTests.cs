using Microsoft.Playwright;

namespace ConnectLinks.Tests.Browser;

/// <summary>
/// Browser tests run one at a time: each starts Chromium, and the machines have two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection
{
    public const string Name = "Browser";
}

/// <summary>The API reference page (/docs/, rendered from the OpenAPI document by docs.js) in a real Chromium.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DocsPageBrowserTests
{
    [Fact]
    public async Task DocsPageRendersTheOperationsFromTheOpenApiDocument()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();

        var response = await page.GotoAsync(browser.Url("/docs/"));

        response!.Status.ShouldBe(200);
        await Assertions.Expect(page.Locator("section.op h3 code", new() { HasTextString = "/v1/links" }).First).ToBeVisibleAsync();
        (await page.Locator("section.op").CountAsync()).ShouldBeGreaterThan(5);
        await page.GetByText("Loading the OpenAPI document").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var screenshot = await BrowserSession.ScreenshotAsync(page);
        new FileInfo(screenshot).Length.ShouldBeGreaterThan(10_000);
        browser.ShouldHaveNoPageErrors();
    }

    [Fact]
    public async Task DocsPageHasNoSeriousAccessibilityViolations()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(browser.Url("/docs/"));
        await page.Locator("section.op").First.WaitForAsync();

        await Axe.ShouldHaveNoSeriousViolationsAsync(page);
    }

    [Fact]
    public async Task TabFromThePageStartFocusesTheFirstLink()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(browser.Url("/docs/"));
        await page.Locator("section.op").First.WaitForAsync();

        await page.Keyboard.PressAsync("Tab");

        var focused = await page.EvaluateAsync<string>("() => document.activeElement?.getAttribute('href') ?? document.activeElement?.tagName ?? ''");
        focused.ShouldBe("/openapi/v1.json");
        (await page.EvaluateAsync<bool>("() => document.activeElement === document.querySelector('a[href]')")).ShouldBeTrue();
        await BrowserSession.ScreenshotAsync(page, fullPage: false); // the top, where the focus ring is
    }

    [Fact]
    public async Task DocsPageFitsAPhoneScreenWithoutSidewaysScrolling()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync(BrowserSession.Phone);
        await page.GotoAsync(browser.Url("/docs/"));
        await page.Locator("section.op").First.WaitForAsync();

        (await page.EvaluateAsync<int>("() => window.innerWidth")).ShouldBe(390);
        var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        await BrowserSession.ScreenshotAsync(page, fullPage: false);
        scrollWidth.ShouldBeLessThanOrEqualTo(390);
    }
}

/// <summary>The fixture's own guarantees: axe-core runs under a strict CSP and its assertion really fails.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AxeFixtureBrowserTests
{
    [Fact]
    public async Task AxeRunsInAPageWhoseContentSecurityPolicyBlocksInlineScripts()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        // The docs page sends no CSP today; add the hosted pages' policy on the way to the browser.
        await page.RouteAsync("**/docs/", async route =>
        {
            var response = await route.FetchAsync();
            var headers = new Dictionary<string, string>(response.Headers) { ["content-security-policy"] = "default-src 'self'; script-src 'self'" };
            await route.FulfillAsync(new() { Response = response, Headers = headers });
        });
        await page.GotoAsync(browser.Url("/docs/"));
        await page.Locator("section.op").First.WaitForAsync(); // docs.js is 'self': allowed

        await Should.ThrowAsync<PlaywrightException>(() => page.AddScriptTagAsync(new() { Content = "window.inlineRan = true" }));
        (await page.EvaluateAsync<bool>("() => window.inlineRan === true")).ShouldBeFalse();
        browser.Errors.ShouldContain(e => e.Contains("Content Security Policy"));

        var violations = await Axe.RunAsync(page);
        violations.ShouldNotContain(v => v.IsSeriousOrWorse, string.Join("\n", violations));
    }

    [Fact]
    public async Task AxeAssertionFailsNamingAnImageWithoutAlternativeText()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(browser.Url("/docs/"));
        await page.EvaluateAsync("() => { const img = document.createElement('img'); img.id = 'no-alt'; document.body.append(img); }");

        // Record.ExceptionAsync, not Should.ThrowAsync: Shouldly rethrows its own assertion failures.
        var failure = await Record.ExceptionAsync(() => Axe.ShouldHaveNoSeriousViolationsAsync(page));

        failure.ShouldBeOfType<ShouldAssertException>();
        failure.Message.ShouldContain("image-alt");
        failure.Message.ShouldContain("#no-alt");
    }
}

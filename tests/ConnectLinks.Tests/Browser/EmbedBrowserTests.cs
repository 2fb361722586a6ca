using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ConnectLinks.Tests.Hosted;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using Xunit.Sdk;

namespace ConnectLinks.Tests.Browser;

/// <summary>Embedded mode in a real Chromium: a partner's page on another site opens a link with connect.js.</summary>
[Collection(BrowserCollection.Name)]
public sealed class EmbedBrowserTests
{
    [Fact]
    public async Task APartnersPageOnAnotherSiteConnectsInAModalAndHearsSuccess()
    {
        await using var browser = await BrowserSession.StartAsync(new() { ["ConnectLinks:Network:AllowPrivateTargets"] = "true" });
        // The partner's app: "localhost" is another site than the service's 127.0.0.1, so the frame is cross-site and
        // gets no SameSite cookie, as on a real partner's domain.
        var partnerPort = ServiceProcess.FreePort();
        var partnerOrigin = $"http://localhost:{partnerPort}";
        var api = await browser.App.ClientForAsync();
        (await api.PatchAsJsonAsync("/v1/settings", new { allowed_embed_origins = new[] { partnerOrigin }, branding = new { name = "Acme Analytics" } }))
            .EnsureSuccessStatusCode();
        var link = await api.CreateLinkAsync(new { connector = "postgres", title = "Connect your warehouse" });
        await using var partnerApp = await PartnerAppAsync(partnerPort, browser.Url("/connect.js"), link.Str("url"));

        var page = await browser.NewPageAsync();
        await page.GotoAsync(partnerOrigin + "/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect your database" }).ClickAsync();
        var frame = page.FrameLocator("iframe[title=Connect]");
        await Assertions.Expect(frame.GetByRole(AriaRole.Heading, new() { Name = "Connect your warehouse" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#events")).ToHaveTextAsync("ready");
        await BrowserSession.ScreenshotAsync(page, "modal", fullPage: false);

        var values = LinkPage.PostgresCredentials();
        await frame.GetByLabel("Host").FillAsync(values["host"]);
        await frame.GetByLabel("Port").FillAsync(values["port"]);
        await frame.GetByLabel("Database").FillAsync(values["database"]);
        await frame.GetByLabel("Username").FillAsync(values["username"]);
        await frame.GetByLabel("Password").FillAsync(values["password"]);
        await frame.GetByLabel("SSL mode").SelectOptionAsync("disable");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Connect", Exact = true }).ClickAsync();

        // connect.js hears "success" from the frame, hands over the connection id and closes the modal.
        try
        {
            await Assertions.Expect(page.Locator("#events")).ToHaveTextAsync(new Regex("^ready success:con_"), new() { Timeout = 30_000 });
        }
        catch (PlaywrightException)
        {
            throw new XunitException("connect.js heard no success; the frame shows: " + await frame.Locator("body").TextContentAsync());
        }
        var completed = (await api.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!;
        completed.Str("status").ShouldBe("completed");
        (await page.Locator("#events").TextContentAsync()).ShouldBe($"ready success:{completed.Str("connection_id")}");
        await Assertions.Expect(page.Locator("iframe[title=Connect]")).ToHaveCountAsync(0);
        browser.ShouldHaveNoPageErrors();
    }

    [Fact]
    public async Task OnAPhoneTheModalFillsTheScreenAndClosingItTellsThePartner()
    {
        await using var browser = await BrowserSession.StartAsync();
        var partnerPort = ServiceProcess.FreePort();
        var api = await browser.App.ClientForAsync();
        (await api.PatchAsJsonAsync("/v1/settings", new { allowed_embed_origins = new[] { $"http://localhost:{partnerPort}" } })).EnsureSuccessStatusCode();
        var link = await api.CreateLinkAsync(new { connector = "postgres" });
        await using var partnerApp = await PartnerAppAsync(partnerPort, browser.Url("/connect.js"), link.Str("url"));

        var page = await browser.NewPageAsync(BrowserSession.Phone);
        await page.GotoAsync($"http://localhost:{partnerPort}/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect your database" }).ClickAsync();
        await Assertions.Expect(page.Locator("#events")).ToHaveTextAsync("ready");
        await BrowserSession.ScreenshotAsync(page, "phone", fullPage: false);
        var frameBox = (await page.Locator("iframe[title=Connect]").BoundingBoxAsync())!;
        frameBox.Width.ShouldBe(page.ViewportSize!.Width, 1); // the whole width of the phone, no sideways scroll
        await Axe.ShouldHaveNoSeriousViolationsAsync(page); // the dialog on the partner's page: named, labelled close button
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#events")).ToHaveTextAsync("ready exit:closed");
        await Assertions.Expect(page.Locator("iframe[title=Connect]")).ToHaveCountAsync(0);
        (await api.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!.Str("status").ShouldBe("opened");
        browser.ShouldHaveNoPageErrors();
    }

    /// <summary>A partner's page: a button that opens <paramref name="linkUrl"/> with connect.js and lists what it heard.</summary>
    private static async Task<WebApplication> PartnerAppAsync(int port, string connectJs, string linkUrl)
    {
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Partner app</title><script src="{{connectJs}}"></script></head>
            <body><main><h1>Partner app</h1><button id="open">Connect your database</button><p id="events"></p></main>
            <script>
              const seen = [];
              const note = (text) => { seen.push(text); document.getElementById("events").textContent = seen.join(" "); };
              document.getElementById("open").addEventListener("click", () => ConnectLinks.open({
                url: "{{linkUrl}}",
                onReady: () => note("ready"),
                onSuccess: (e) => note("success:" + e.connection_id),
                onExit: (e) => note("exit:" + e.reason),
                onError: (e) => note("error:" + e.error),
              }));
            </script></body></html>
            """;
        var (app, _) = await LocalHttpApp.StartAsync(app => app.MapGet("/", () => Results.Content(html, "text/html")), localhostPort: port);
        return app;
    }
}

using System.Text.Json.Nodes;
using ConnectLinks.Tests.OAuth;
using Microsoft.Playwright;

namespace ConnectLinks.Tests.Browser;

/// <summary>The OAuth round trip in a real Chromium, through oidc-provider's real login and consent pages.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OAuthBrowserTests
{
    /// <summary>A redirect URI the test provider accepts (scripts/oauth/provider.mjs) must point at this server.</summary>
    private const int Port = 55495;

    [Fact]
    public async Task ACustomerSignsInAtTheProviderConsentsAndComesBackConnected()
    {
        await using var browser = await BrowserSession.StartAsync(TestOidcProvider.AppSettings(), Port);
        var partner = await browser.App.ClientForAsync();
        (await partner.PutAsJsonAsync("/v1/connectors/oidc-test/oauth-client",
            new { client_id = TestOidcProvider.Client.Id, client_secret = TestOidcProvider.Client.Secret })).EnsureSuccessStatusCode();
        var link = await partner.CreateLinkAsync(new { connector = "oidc-test", title = "Connect your account" });
        var page = await browser.NewPageAsync();

        await page.GotoAsync(link.Str("url"));
        await BrowserSession.ScreenshotAsync(page, "1-link");
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Connect with") }).ClickAsync();

        // oidc-provider's own pages: sign in, then consent.
        await page.WaitForURLAsync(url => url.StartsWith(TestOidcProvider.Url));
        (await partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!.Str("status").ShouldBe("oauth_pending");
        await page.Locator("input[name=login]").FillAsync("alice");
        await page.Locator("input[name=password]").FillAsync("any password");
        await BrowserSession.ScreenshotAsync(page, "2-provider-login");
        await page.Locator("button[type=submit]").ClickAsync();
        await page.Locator("button[type=submit]", new() { HasTextString = "Continue" }).ClickAsync();

        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Connected" })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await BrowserSession.ScreenshotAsync(page, "3-connected");
        await Axe.ShouldHaveNoSeriousViolationsAsync(page);

        var read = await partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}");
        read!.Str("status").ShouldBe("completed");
        var credentials = await partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{read.Str("connection_id")}/credentials");
        credentials!["credentials"]!.Str("access_token").ShouldNotBeNullOrEmpty();
        credentials["credentials"]!.Str("refresh_token").ShouldNotBeNullOrEmpty();
        (await page.ContentAsync()).ShouldNotContain(credentials["credentials"]!.Str("access_token"));
    }
}

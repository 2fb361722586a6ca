using System.Text;
using System.Text.Json.Nodes;
using ConnectLinks.OAuth;
using Microsoft.Extensions.DependencyInjection;

namespace ConnectLinks.Tests.OAuth;

/// <summary>
/// SPEC §8 for OAuth: the tokens, the authorization code, the state and the client secret appear nowhere but in the
/// encrypted columns — not in logs (at every level), events, API responses, pages, redirects or the database.
/// </summary>
public sealed class OAuthSecretLeakTests : IDisposable
{
    private readonly ConnectLinksApp _app = new(TestOidcProvider.AppSettings(new() { ["Logging:LogLevel:Default"] = "Trace" }));

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task NoTokenCodeStateOrClientSecretLeaksFromARoundTripAndARefresh()
    {
        var partner = await _app.ClientForAsync();
        var client = TestOidcProvider.RotatingClient;
        var put = await partner.PutAsJsonAsync("/v1/connectors/oidc-test/oauth-client", new { client_id = client.Id, client_secret = client.Secret });
        var seen = new StringBuilder(await put.Content.ReadAsStringAsync());
        var link = await partner.CreateLinkAsync(new { connector = "oidc-test" });

        using var browser = new OAuthBrowser(_app);
        var (page, start) = await browser.StartAsync(link.Str("url"));
        seen.AppendLine(page.Html);
        // The redirect to the provider carries the state by design (RFC 6749 §4.1.1); never the client secret or the verifier.
        var authorize = start.Headers.Location!.ToString();
        authorize.ShouldNotContain(client.Secret);
        authorize.ShouldNotContain("code_verifier");
        var callback = await browser.SignInAtProviderAsync(start.Headers.Location!.ToString());
        var done = await browser.ReturnAsync(callback);
        done.Heading.ShouldContain("Connected");
        seen.AppendLine(done.Html).AppendLine((await browser.ReturnAsync(callback)).Html); // and the replay page
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(callback).Query);

        var connectionId = (await partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!.Str("connection_id");
        var first = (await partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}/credentials"))!["credentials"]!.AsObject();
        (await _app.Services.GetRequiredService<OAuthRefresher>().RefreshAsync(connectionId, default)).ShouldBe(RefreshOutcome.Refreshed);
        var second = (await partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}/credentials"))!["credentials"]!.AsObject();

        foreach (var path in new[] { "/v1/events?limit=100", "/v1/links", $"/v1/links/{link.Str("id")}", "/v1/connections", $"/v1/connections/{connectionId}",
                     "/v1/connectors/oidc-test/oauth-client" })
            seen.AppendLine(await partner.GetStringAsync(path));
        foreach (var line in _app.Logs.Lines) seen.AppendLine(line);
        seen.AppendLine(await _app.DumpDatabaseAsync());

        var everything = seen.ToString();
        everything.ShouldContain("connection.created");
        _app.Logs.Lines.Count().ShouldBeGreaterThan(20);
        var secrets = new Dictionary<string, string>
        {
            ["client secret"] = client.Secret, ["code"] = query["code"]!, ["state"] = query["state"]!,
            ["first access token"] = first.Str("access_token"), ["first refresh token"] = first.Str("refresh_token"),
            ["second access token"] = second.Str("access_token"), ["second refresh token"] = second.Str("refresh_token"),
        };
        foreach (var (what, secret) in secrets)
        {
            var at = everything.IndexOf(secret, StringComparison.Ordinal);
            at.ShouldBe(-1, $"the {what} leaked: …{(at < 0 ? "" : everything[Math.Max(0, at - 200)..Math.Min(everything.Length, at + 50)])}…");
        }
    }
}

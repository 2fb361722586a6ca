using System.Text.Json.Nodes;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Tests.OAuth;

/// <summary><c>/v1/connectors/{id}/oauth-client</c>: per-organization client credentials with a write-only, encrypted secret.</summary>
public sealed class OAuthClientsApiTests : IDisposable
{
    private readonly ConnectLinksApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task TheSecretIsWriteOnlyEncryptedAndPerOrganization()
    {
        var acme = await _app.ClientForAsync("acme");
        var before = (await acme.GetFromJsonAsync<JsonObject>("/v1/connectors/google/oauth-client"))!;
        before["client_id"].ShouldBeNull();
        before["client_secret_set"]!.GetValue<bool>().ShouldBeFalse();
        before.Str("redirect_uri").ShouldBe("http://localhost/connect/oauth/callback");

        var put = await acme.PutAsJsonAsync("/v1/connectors/google/oauth-client", new { client_id = "123.apps.googleusercontent.com", client_secret = "GOCSPX-very-secret-value" });
        var body = await put.Content.ReadAsStringAsync();
        put.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        body.ShouldNotContain("GOCSPX-very-secret-value");
        var shown = (await acme.GetFromJsonAsync<JsonObject>("/v1/connectors/google/oauth-client"))!;
        shown.Str("client_id").ShouldBe("123.apps.googleusercontent.com");
        shown["client_secret_set"]!.GetValue<bool>().ShouldBeTrue();
        shown.ToJsonString().ShouldNotContain("GOCSPX");

        await using (var db = _app.Db())
        {
            var row = await db.OAuthClients.AsNoTracking().SingleAsync();
            System.Text.Encoding.UTF8.GetString(row.SecretCiphertext).ShouldNotContain("GOCSPX");
            row.SecretKeyId.ShouldBe("test");
        }

        var globex = await _app.ClientForAsync("globex");
        (await globex.GetFromJsonAsync<JsonObject>("/v1/connectors/google/oauth-client"))!["client_secret_set"]!.GetValue<bool>().ShouldBeFalse();

        (await acme.DeleteAsync("/v1/connectors/google/oauth-client")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await acme.GetFromJsonAsync<JsonObject>("/v1/connectors/google/oauth-client"))!["client_secret_set"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task ChangingAClientNeedsSettingsWriteAndValidInput()
    {
        var reader = await _app.ClientForAsync(scopes: [Scopes.LinksRead, Scopes.ConnectionsRead]);
        (await reader.PutAsJsonAsync("/v1/connectors/xero/oauth-client", new { client_id = "a", client_secret = "b" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await reader.GetAsync("/v1/connectors/xero/oauth-client")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var admin = await _app.ClientForAsync();
        (await admin.PutAsJsonAsync("/v1/connectors/postgres/oauth-client", new { client_id = "a", client_secret = "b" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await admin.PutAsJsonAsync("/v1/connectors/nope/oauth-client", new { client_id = "a", client_secret = "b" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var missing = await admin.PutAsJsonAsync("/v1/connectors/xero/oauth-client", new { client_id = "a" });
        missing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await missing.ReadJsonAsync())["errors"]!["client_secret"].ShouldNotBeNull();
        var unknown = await admin.PutAsync("/v1/connectors/xero/oauth-client",
            new StringContent("""{"client_id":"a","client_secret":"b","extra":1}""", System.Text.Encoding.UTF8, "application/json"));
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TheCatalogDescribesOAuthConnectorsWithTheirTokenFields()
    {
        var client = await _app.ClientForAsync();
        var catalog = (await client.GetFromJsonAsync<JsonObject>("/v1/connectors"))!["data"]!.AsArray();
        var oauth = catalog.Where(c => c.Str("auth_mode") == "oauth2").Select(c => c.Str("id")).ToList();
        oauth.ShouldBeSubsetOf(["google", "microsoft", "salesforce", "hubspot-oauth", "xero", "quickbooks", "oidc-test", "oidc-test-post"]);
        oauth.Count.ShouldBe(8);
        var google = catalog.Single(c => c.Str("id") == "google")!;
        google["fields"]!.AsArray().Select(f => f.Str("name")).ShouldBe(["access_token", "refresh_token", "expires_at", "token_type", "scope"]);
        google["fields"]!.AsArray().ShouldAllBe(f => f!["secret"]!.GetValue<bool>());
    }
}

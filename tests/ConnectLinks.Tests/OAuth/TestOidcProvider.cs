using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ConnectLinks.Tests.OAuth;

/// <summary>
/// The real oidc-provider started by scripts/oauth/start.sh, and the settings that point the oidc-test connectors at
/// it. A missing provider fails the test loudly (never a skip).
/// </summary>
public static class TestOidcProvider
{
    public static string Url => Env("CONNECTLINKS_TEST_OIDC_URL").TrimEnd('/');
    public static (string Id, string Secret) Client => (Env("CONNECTLINKS_TEST_OIDC_CLIENT_ID"), Env("CONNECTLINKS_TEST_OIDC_CLIENT_SECRET"));
    public static (string Id, string Secret) RotatingClient => (Env("CONNECTLINKS_TEST_OIDC_ROTATING_CLIENT_ID"), Env("CONNECTLINKS_TEST_OIDC_ROTATING_CLIENT_SECRET"));
    public static (string Id, string Secret) PostClient => (Env("CONNECTLINKS_TEST_OIDC_POST_CLIENT_ID"), Env("CONNECTLINKS_TEST_OIDC_POST_CLIENT_SECRET"));

    /// <summary>App settings: both oidc-test connectors at the provider, loopback allowed, the refresh job quiet unless asked.</summary>
    public static Dictionary<string, string?> AppSettings(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectLinks:Network:AllowPrivateTargets"] = "true",
            ["ConnectLinks:OAuth:RefreshInterval"] = "01:00:00",
        };
        foreach (var id in new[] { "oidc-test", "oidc-test-post" })
        {
            settings[$"ConnectLinks:OAuth:Endpoints:{id}:AuthorizationUrl"] = Url + "/auth";
            settings[$"ConnectLinks:OAuth:Endpoints:{id}:TokenUrl"] = Url + "/token";
            settings[$"ConnectLinks:Connectors:BaseUrlOverrides:{id}"] = Url;
        }
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return settings;
    }

    /// <summary>Revokes a token at the provider (RFC 7009), as a customer removing the app's access would.</summary>
    public static async Task RevokeAsync(string token, (string Id, string Secret) client)
    {
        using var http = new HttpClient();
        var discovery = (await http.GetFromJsonAsync<JsonObject>(Url + "/.well-known/openid-configuration"))!;
        using var request = new HttpRequestMessage(HttpMethod.Post, discovery.Str("revocation_endpoint"))
        {
            Content = new FormUrlEncodedContent([new("token", token), new("token_type_hint", "refresh_token")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.Id}:{client.Secret}")));
        (await http.SendAsync(request)).EnsureSuccessStatusCode();
    }

    /// <summary>Whether the provider accepts an access token at its userinfo endpoint.</summary>
    public static async Task<HttpStatusCode> UserInfoStatusAsync(string accessToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Url + "/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return (await http.SendAsync(request)).StatusCode;
    }

    private static string Env(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        if (!string.IsNullOrEmpty(value)) return value;
        var how = "run `scripts/oauth/start.sh /tmp/oidc.env && . /tmp/oidc.env` before the tests";
        throw new InvalidOperationException(Environment.GetEnvironmentVariable("CI") is { Length: > 0 }
            ? $"{name} is not set in CI: the CI script must {how}."
            : $"{name} is not set: {how}.");
    }
}

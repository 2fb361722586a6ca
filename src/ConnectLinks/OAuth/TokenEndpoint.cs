using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ConnectLinks.Connectors;
using ConnectLinks.Security;
using Microsoft.Extensions.Options;

namespace ConnectLinks.OAuth;

/// <summary>The tokens a provider issued. Held in memory only until they are sealed into a connection.</summary>
public sealed record TokenSet(string AccessToken, string? RefreshToken, string? TokenType, string? Scope, long? ExpiresIn);

/// <summary>A token endpoint's answer: tokens, or an OAuth error code (never a description, which may echo input).</summary>
public sealed record TokenResponse(TokenSet? Tokens, string? Error, bool Transient)
{
    public static TokenResponse Failed(string error, bool transient = false) => new(null, error, transient);
}

/// <summary>An organization's client id and secret at a provider.</summary>
public sealed record ClientCredentials(string ClientId, string ClientSecret);

/// <summary>
/// Talks to providers' token endpoints: the authorization-code exchange (with the PKCE verifier) and refreshes, with
/// the client authentication the definition names. Every connection goes through <see cref="NetworkGuard"/>. Nothing
/// it sends or receives is logged.
/// </summary>
public sealed class TokenEndpoint : IDisposable
{
    private readonly IOptions<OAuthOptions> _options;
    private readonly HttpClient _http;

    public TokenEndpoint(NetworkGuard guard, IOptions<OAuthOptions> options)
    {
        _options = options;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = guard.ConnectCallback,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per request below
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("ConnectLinks-OAuth/1.0");
    }

    /// <summary>The authorization endpoint of <paramref name="connector"/>, after configuration overrides.</summary>
    public string AuthorizationUrl(ConnectorDefinition connector) =>
        _options.Value.Endpoints.GetValueOrDefault(connector.Id)?.AuthorizationUrl ?? connector.OAuth2!.AuthorizationUrl;

    /// <summary>The token endpoint of <paramref name="connector"/>, after configuration overrides.</summary>
    public string TokenUrl(ConnectorDefinition connector) =>
        _options.Value.Endpoints.GetValueOrDefault(connector.Id)?.TokenUrl ?? connector.OAuth2!.TokenUrl;

    /// <summary>Exchanges an authorization code (RFC 6749 §4.1.3, with the RFC 7636 verifier when PKCE is on).</summary>
    public Task<TokenResponse> ExchangeCodeAsync(ConnectorDefinition connector, ClientCredentials client, string code, string redirectUri, string? verifier, CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", redirectUri) };
        if (verifier is not null) form.Add(new("code_verifier", verifier));
        return RequestAsync(connector, client, form, ct);
    }

    /// <summary>Uses a refresh token (RFC 6749 §6).</summary>
    public Task<TokenResponse> RefreshAsync(ConnectorDefinition connector, ClientCredentials client, string refreshToken, CancellationToken ct) =>
        RequestAsync(connector, client, [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)], ct);

    private async Task<TokenResponse> RequestAsync(ConnectorDefinition connector, ClientCredentials client, List<KeyValuePair<string, string>> form, CancellationToken ct)
    {
        var spec = connector.OAuth2!;
        using var message = new HttpRequestMessage(HttpMethod.Post, TokenUrl(connector));
        message.Headers.Accept.ParseAdd("application/json");
        if (spec.ClientAuth == OAuth2Spec.ClientSecretPost)
        {
            form.Add(new("client_id", client.ClientId));
            form.Add(new("client_secret", client.ClientSecret));
        }
        else
        {
            // RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
            var pair = FormEncode(client.ClientId) + ":" + FormEncode(client.ClientSecret);
            message.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        }
        message.Content = new FormUrlEncodedContent(form);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Value.TokenRequestTimeout);
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            JsonElement json;
            try
            {
                json = JsonDocument.Parse(body).RootElement;
            }
            catch (JsonException)
            {
                return TokenResponse.Failed((int)response.StatusCode >= 500 ? "server_error" : "invalid_response", (int)response.StatusCode >= 500);
            }
            if (!response.IsSuccessStatusCode || json.ValueKind != JsonValueKind.Object)
            {
                var error = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
                    ? ErrorCode(e.GetString()) : (int)response.StatusCode >= 500 ? "server_error" : "invalid_response";
                return TokenResponse.Failed(error, (int)response.StatusCode >= 500 || error == "temporarily_unavailable");
            }
            var accessToken = Text(json, "access_token");
            if (string.IsNullOrEmpty(accessToken)) return TokenResponse.Failed("invalid_response");
            return new TokenResponse(new TokenSet(accessToken, Text(json, "refresh_token"), Text(json, "token_type"), Text(json, "scope"),
                Seconds(json, spec.ExpiresInField) ?? spec.DefaultExpiresIn), null, false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return TokenResponse.Failed("timeout", transient: true);
        }
        catch (HttpRequestException e) when (e.InnerException is NetworkTargetRefusedException)
        {
            return TokenResponse.Failed("target_refused");
        }
        catch (HttpRequestException)
        {
            return TokenResponse.Failed("unreachable", transient: true);
        }
    }

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    private static string? Text(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // Lifetimes arrive as numbers, or as numeric strings from some providers.
    private static long? Seconds(JsonElement json, string name)
    {
        if (!json.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        return v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
    }

    /// <summary>An OAuth error code as shown on pages and in logs: only the code's own characters, bounded.</summary>
    public static string ErrorCode(string? error)
    {
        if (string.IsNullOrEmpty(error)) return "unknown_error";
        var clean = new string([.. error.Where(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-').Take(64)]);
        return clean.Length == 0 ? "unknown_error" : clean;
    }

    public void Dispose() => _http.Dispose();
}

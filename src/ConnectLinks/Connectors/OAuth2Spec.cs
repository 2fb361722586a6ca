namespace ConnectLinks.Connectors;

/// <summary>
/// The OAuth 2.0 part of a connector definition (auth mode <c>oauth2</c>): where to send the customer, where to
/// exchange the code, what to ask for, and how the provider wants the client to authenticate. The connection test
/// (userinfo or an API call) is the definition's <c>http</c> section, sent with the access token as a bearer token.
/// </summary>
public sealed record OAuth2Spec
{
    /// <summary>The provider's authorization endpoint (absolute https URL; may already carry a query).</summary>
    public required string AuthorizationUrl { get; init; }

    /// <summary>The provider's token endpoint, used for the code exchange and for refreshes.</summary>
    public required string TokenUrl { get; init; }

    /// <summary>Scopes requested on the authorization URL.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>How scopes are joined; a space per RFC 6749, a few providers want a comma.</summary>
    public string ScopeSeparator { get; init; } = " ";

    /// <summary>Extra authorization parameters, e.g. <c>access_type=offline</c> and <c>prompt=consent</c> for Google.</summary>
    public IReadOnlyDictionary<string, string> AuthorizeParams { get; init; } = new Dictionary<string, string>();

    /// <summary>Send a PKCE S256 challenge (RFC 7636). On unless the provider rejects it.</summary>
    public bool Pkce { get; init; } = true;

    /// <summary><c>client_secret_basic</c> (HTTP Basic) or <c>client_secret_post</c> (in the form body).</summary>
    public string ClientAuth { get; init; } = ClientSecretBasic;

    /// <summary>The token response field with the access token's lifetime in seconds.</summary>
    public string ExpiresInField { get; init; } = "expires_in";

    /// <summary>Lifetime to assume when the provider sends none (Salesforce); null: the token is not refreshed on a schedule.</summary>
    public long? DefaultExpiresIn { get; init; }

    /// <summary>Where the partner registers its OAuth app, shown in the docs and the catalog description.</summary>
    public string? DeveloperConsoleUrl { get; init; }

    public const string ClientSecretBasic = "client_secret_basic";
    public const string ClientSecretPost = "client_secret_post";

    /// <summary>
    /// The fields an OAuth connection's credentials hold. They are declared on the definition (all secret) so the
    /// ordinary machinery applies unchanged: validation, secret scrubbing in check messages, encryption at rest.
    /// </summary>
    public static readonly IReadOnlyList<ConnectorField> TokenFields =
    [
        new() { Name = "access_token", Label = "Access token", Type = "password", Required = true, Secret = true, MaxLength = 16384 },
        new() { Name = "refresh_token", Label = "Refresh token", Type = "password", Secret = true, MaxLength = 16384 },
        new() { Name = "expires_at", Label = "Access token expires at", Secret = true, MaxLength = 64 },
        new() { Name = "token_type", Label = "Token type", Secret = true, MaxLength = 64 },
        new() { Name = "scope", Label = "Granted scopes", Secret = true, MaxLength = 4096 },
    ];
}

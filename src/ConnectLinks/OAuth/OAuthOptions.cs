namespace ConnectLinks.OAuth;

/// <summary>Settings under <c>ConnectLinks:OAuth</c>.</summary>
public sealed class OAuthOptions
{
    public const string Section = "ConnectLinks:OAuth";

    /// <summary>How long a customer may take at the provider before the <c>state</c> is refused (10 minutes).</summary>
    public TimeSpan StateLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Access tokens are refreshed this long before they expire.</summary>
    public TimeSpan RefreshLeadTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the refresh job looks for tokens to refresh.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one instance holds a connection while refreshing it; also the retry delay after a network failure.</summary>
    public TimeSpan RefreshLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Time limit of one request to a token endpoint.</summary>
    public TimeSpan TokenRequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Per connector id, endpoints that replace the definition's (a sandbox, a regional login host, or a test
    /// provider). The test request's base URL is <c>ConnectLinks:Connectors:BaseUrlOverrides:&lt;id&gt;</c>.
    /// </summary>
    public Dictionary<string, OAuthEndpoints> Endpoints { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Endpoint overrides of one OAuth connector.</summary>
public sealed class OAuthEndpoints
{
    public string? AuthorizationUrl { get; set; }
    public string? TokenUrl { get; set; }
}

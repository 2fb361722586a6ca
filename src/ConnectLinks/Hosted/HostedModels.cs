using ConnectLinks.Connectors;

namespace ConnectLinks.Hosted;

/// <summary>The organization's look on its link pages.</summary>
public sealed record Branding(string Name, string? LogoUrl, string Accent, string? SupportEmail)
{
    public const string DefaultAccent = "#4f46e5";

    /// <summary>The partner page's origin when this page is embedded in it (see <see cref="EmbedMode"/>).</summary>
    public string? EmbedOrigin { get; init; }
}

/// <summary>What an embedded page tells the partner's page once loaded (<c>postMessage</c>, see hosted.js).</summary>
public sealed record EmbedMessage(string Type, string? LinkId = null, string? ConnectionId = null, string? Error = null);

/// <summary>Everything the connect page shows: the picker, or one connector's form with its errors and check results.</summary>
public sealed record ConnectPageModel
{
    public required Branding Branding { get; init; }
    public required string Token { get; init; }
    public required string Title { get; init; }
    public required string Purpose { get; init; }
    public required string AntiforgeryField { get; init; }
    public required string AntiforgeryToken { get; init; }
    public IReadOnlyList<ConnectorDefinition> Choices { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public string? Query { get; init; }
    public string? Category { get; init; }
    /// <summary>Null shows the picker.</summary>
    public ConnectorDefinition? Connector { get; init; }
    /// <summary>Non-secret values to put back in the form (prefill, defaults, what was typed). Never a secret.</summary>
    public IReadOnlyDictionary<string, string?> Values { get; init; } = new Dictionary<string, string?>();
    public IReadOnlyDictionary<string, string[]> Errors { get; init; } = new Dictionary<string, string[]>();
    public IReadOnlyList<CheckResult> Checks { get; init; } = [];
    public int? AttemptsLeft { get; init; }
    public bool CanChooseAnother => Choices.Count > 1;
    public string? LinkId { get; init; }
    /// <summary>Where an embedded page's OAuth sign-in opens (<c>_top</c> or <c>_blank</c>); null on a normal page.</summary>
    public string? OAuthTarget { get; init; }

    /// <summary>A URL of this link's flow (<paramref name="suffix"/> after <c>/connect/{token}</c>), embedded if the page is.</summary>
    public string Url(string suffix = "", string? query = null) => EmbedMode.Url($"/connect/{Token}{suffix}", Branding.EmbedOrigin, query);
}

/// <summary>The page after a successful connection.</summary>
public sealed record DonePageModel(Branding Branding, string ConnectorName, IReadOnlyList<(string Label, string Value)> Summary,
    IReadOnlyList<CheckResult> Checks, string? ContinueUrl, EmbedMessage? Embed = null);

/// <summary>A page that ends the flow: a dead link, a cancel, an error.</summary>
public sealed record NoticePageModel(Branding? Branding, string Heading, string Message, string? ContinueUrl = null, EmbedMessage? Embed = null);

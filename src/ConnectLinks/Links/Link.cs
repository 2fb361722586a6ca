namespace ConnectLinks.Links;

/// <summary>A connect link: who it is for, what it may connect, where to go afterwards, when it dies.</summary>
public sealed class Link
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    /// <summary>SHA-256 of the current token; regenerate replaces it, which kills the old token at once.</summary>
    public required string TokenHash { get; set; }
    public string Status { get; set; } = LinkStatus.Waiting;
    public string Kind { get; set; } = LinkKind.Destination;
    /// <summary>The connector the partner named with <c>connector</c> (as opposed to an allow-list).</summary>
    public string? Connector { get; set; }
    /// <summary>
    /// The allow-list as <c>,postgres,mysql,</c>: a plain column that the <c>connector</c> filter can search with
    /// a substring match on both databases. <see cref="Connectors"/> is the view code should use.
    /// </summary>
    public string ConnectorList { get; set; } = "";
    /// <summary>Connectors the end customer may pick from; empty means every enabled connector (or see categories).</summary>
    public string[] Connectors
    {
        get => ConnectorList.Split(',', StringSplitOptions.RemoveEmptyEntries);
        set => ConnectorList = value.Length == 0 ? "" : "," + string.Join(',', value) + ",";
    }
    public string[] Categories { get; set; } = [];
    public required string OwnerId { get; set; }
    public string? OwnerName { get; set; }
    public string? OwnerUsername { get; set; }
    public string? Title { get; set; }
    public string? RedirectUri { get; set; }
    public string? WebhookUrl { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? OpenedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public int Uses { get; set; }
    public int MaxUses { get; set; } = 1;
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; } = 10;
    /// <summary>For a reconnect link, the connection it updates; after completion, the connection it made.</summary>
    public string? ConnectionId { get; set; }
    /// <summary>True for a reconnect link: completing it updates <see cref="ConnectionId"/> in place.</summary>
    public bool IsReconnect { get; set; }
    public Dictionary<string, string> Metadata { get; set; } = [];
    public Dictionary<string, string> Prefill { get; set; } = [];

    /// <summary>The status a reader should see: a link past its expiry is expired even before the sweep marks it.</summary>
    public string EffectiveStatus(DateTimeOffset now) =>
        !LinkStatus.IsFinal(Status) && ExpiresAt <= now ? LinkStatus.Expired : Status;
}

/// <summary>Link states (SPEC §3).</summary>
public static class LinkStatus
{
    public const string Waiting = "waiting";
    public const string Opened = "opened";
    public const string OAuthPending = "oauth_pending";
    public const string Locked = "locked";
    public const string Completed = "completed";
    public const string Expired = "expired";
    public const string Revoked = "revoked";

    public static readonly string[] All = [Waiting, Opened, OAuthPending, Locked, Completed, Expired, Revoked];
    /// <summary>States a link never leaves (regenerate aside).</summary>
    public static readonly string[] Final = [Completed, Expired, Revoked];
    /// <summary>States in which the link can still expire or be revoked.</summary>
    public static readonly string[] Live = [Waiting, Opened, OAuthPending, Locked];

    public static bool IsFinal(string status) => status is Completed or Expired or Revoked;
}

/// <summary>Whether the connection a link makes is read from (source) or written to (destination).</summary>
public static class LinkKind
{
    public const string Destination = "destination";
    public const string Source = "source";
}

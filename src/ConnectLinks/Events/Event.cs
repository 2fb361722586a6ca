namespace ConnectLinks.Events;

/// <summary>An immutable record of something that happened. Webhooks deliver events; the feed lists them.</summary>
public sealed class Event
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    public required string Type { get; set; }
    public string? LinkId { get; set; }
    public string? ConnectionId { get; set; }
    /// <summary>The event's <c>data</c> object as JSON: ids and status, never a secret.</summary>
    public required string Data { get; set; }
    public string? ActorIp { get; set; }
    public string? ActorUserAgent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Event types (SPEC §7).</summary>
public static class EventTypes
{
    public const string LinkCreated = "link.created";
    public const string LinkOpened = "link.opened";
    public const string LinkRegenerated = "link.regenerated";
    public const string LinkExtended = "link.extended";
    public const string LinkRevoked = "link.revoked";
    public const string LinkExpired = "link.expired";
    public const string LinkLocked = "link.locked";
    public const string LinkCompleted = "link.completed";
    /// <summary>The customer went to an OAuth provider; the link waits for the return (not in SPEC §7's list: issue 5 asks for it).</summary>
    public const string LinkOAuthPending = "link.oauth_pending";
    public const string ConnectionTestFailed = "connection.test_failed";
    public const string ConnectionCreated = "connection.created";
    public const string ConnectionUpdated = "connection.updated";
    public const string ConnectionDeleted = "connection.deleted";
    public const string ConnectionCredentialsRead = "connection.credentials_read";
    public const string ConnectionRefreshFailed = "connection.refresh_failed";

    public static readonly string[] All =
    [
        LinkCreated, LinkOpened, LinkRegenerated, LinkExtended, LinkRevoked, LinkExpired, LinkLocked, LinkCompleted, LinkOAuthPending,
        ConnectionTestFailed, ConnectionCreated, ConnectionUpdated, ConnectionDeleted, ConnectionCredentialsRead, ConnectionRefreshFailed,
    ];
}

namespace ConnectLinks.Api;

/// <summary>The first response to a POST sent with an <c>Idempotency-Key</c>, replayed for 24 hours.</summary>
public sealed class IdempotencyRecord
{
    public required string OrganizationId { get; set; }
    public required string Key { get; set; }
    /// <summary>SHA-256 of method, path and body: the same key with another request is refused.</summary>
    public required string RequestHash { get; set; }
    /// <summary>Null while the first request is still running.</summary>
    public int? StatusCode { get; set; }
    public string? ResponseBody { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

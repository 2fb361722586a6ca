namespace ConnectLinks.Webhooks;

/// <summary>A partner's URL that receives signed event deliveries (SPEC §7).</summary>
public sealed class WebhookEndpoint
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    public required string Url { get; set; }
    /// <summary>Subscribed event types; <c>["*"]</c> means every type.</summary>
    public string[] Events { get; set; } = [WebhookEvents.All];
    public string? Description { get; set; }
    public bool Enabled { get; set; } = true;
    /// <summary>Why the service disabled the endpoint (a <c>410 Gone</c>), or null.</summary>
    public string? DisabledReason { get; set; }
    /// <summary>The signing secret <c>whsec_…</c>. HMAC needs the key itself, so it is stored, never logged or shown again.</summary>
    public required string Secret { get; set; }
    /// <summary>The secret before the last rotation; it keeps signing alongside until <see cref="PreviousSecretExpiresAt"/>.</summary>
    public string? PreviousSecret { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>True when this endpoint wants events of <paramref name="type"/>.</summary>
    public bool Wants(string type) => Subscribes(Events, type);

    /// <summary>True when a subscription list covers <paramref name="type"/> (empty or <c>*</c> covers all).</summary>
    public static bool Subscribes(string[] events, string type) => events.Length == 0 || events.Contains(WebhookEvents.All) || events.Contains(type);

    /// <summary>The secrets that sign a delivery now: the current one, and the previous one during its grace period.</summary>
    public string[] SigningSecrets(DateTimeOffset now) =>
        PreviousSecret is not null && PreviousSecretExpiresAt > now ? [Secret, PreviousSecret] : [Secret];
}

/// <summary>One event to deliver to one endpoint (or to a link's own <c>webhook_url</c>): the outbox row.</summary>
public sealed class WebhookDelivery
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    /// <summary>The event id: the <c>webhook-id</c> header, the same on every attempt so receivers can dedupe.</summary>
    public required string EventId { get; set; }
    public required string EventType { get; set; }
    /// <summary>The endpoint, or null for a delivery to a link's <c>webhook_url</c>.</summary>
    public string? EndpointId { get; set; }
    /// <summary>For a link's <c>webhook_url</c>: where to send. Endpoint deliveries follow the endpoint's current URL.</summary>
    public string? Url { get; set; }
    public string? LinkId { get; set; }
    /// <summary>The exact body sent on every attempt: <c>{type, timestamp, data}</c>.</summary>
    public required string Payload { get; set; }
    public string Status { get; set; } = WebhookDeliveryStatus.Pending;
    public int Attempts { get; set; }
    /// <summary>When the dispatcher should try next; null once the delivery is final.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public int? LastLatencyMs { get; set; }
    /// <summary>The claim of the instance sending it now; another instance may take it only after <see cref="LeaseUntil"/>.</summary>
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One attempt to send a delivery: what <c>GET …/deliveries</c> shows as the log.</summary>
public sealed class WebhookAttempt
{
    public required string Id { get; set; }
    public required string DeliveryId { get; set; }
    public required string OrganizationId { get; set; }
    public DateTimeOffset AttemptedAt { get; set; }
    public int? StatusCode { get; set; }
    public int LatencyMs { get; set; }
    public string? Error { get; set; }
    /// <summary>When the next attempt was scheduled after this one, or null when this one ended the delivery.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
    /// <summary>Which service instance sent it (helps when several share one database).</summary>
    public string? Instance { get; set; }
}

/// <summary>The signing secret of an organization for per-link <c>webhook_url</c> deliveries (endpoints have their own).</summary>
public sealed class WebhookSigningSecret
{
    public required string OrganizationId { get; set; }
    public required string Secret { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Delivery states.</summary>
public static class WebhookDeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    /// <summary>Every attempt of the retry schedule failed.</summary>
    public const string Failed = "failed";
    /// <summary>Not sent because the endpoint was disabled (by a 410 Gone or by the partner) or deleted.</summary>
    public const string Disabled = "disabled";
}

/// <summary>What an endpoint can subscribe to.</summary>
public static class WebhookEvents
{
    /// <summary>Subscribes to every event type, including ones added later.</summary>
    public const string All = "*";
}

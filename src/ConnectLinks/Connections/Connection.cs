using ConnectLinks.Connectors;

namespace ConnectLinks.Connections;

/// <summary>
/// What a completed link leaves behind: the connector, the owner, the non-secret configuration, and the secrets,
/// encrypted with a data key of their own (AES-256-GCM) wrapped by the master key <see cref="SecretKeyId"/>.
/// </summary>
public sealed class Connection
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    public required string Connector { get; set; }
    public string Kind { get; set; } = "destination";
    public string Status { get; set; } = ConnectionStatus.Active;
    public required string OwnerId { get; set; }
    public string? OwnerName { get; set; }
    public string? OwnerUsername { get; set; }
    /// <summary>The link that created (or last reconnected) this connection.</summary>
    public string? LinkId { get; set; }
    /// <summary>Non-secret fields (host, port, database…), safe to show.</summary>
    public Dictionary<string, string> Config { get; set; } = [];
    public Dictionary<string, string> Metadata { get; set; } = [];
    public required string SecretKeyId { get; set; }
    public required byte[] SecretWrappedKey { get; set; }
    public required byte[] SecretCiphertext { get; set; }
    public DateTimeOffset? LastTestAt { get; set; }
    public bool? LastTestOk { get; set; }
    public CheckResult[] LastTestChecks { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>OAuth connections: when the access token expires (the refresh job's schedule); null otherwise.</summary>
    public DateTimeOffset? TokenExpiresAt { get; set; }
    /// <summary>The refresh that holds this connection (a lease claimed with a conditional UPDATE), if any.</summary>
    public string? RefreshLeaseId { get; set; }
    /// <summary>When that lease lapses, so a crashed instance's lease does not block refreshes for ever.</summary>
    public DateTimeOffset? RefreshLeaseUntil { get; set; }

    /// <summary>What the secrets are bound to: a ciphertext moved to another row does not decrypt.</summary>
    public string SecretOwner => $"{OrganizationId}/{Id}";
}

public static class ConnectionStatus
{
    public const string Active = "active";
    public const string NeedsReauth = "needs_reauth";
}

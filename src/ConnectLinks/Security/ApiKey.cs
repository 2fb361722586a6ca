namespace ConnectLinks.Security;

/// <summary>A secret key of an organization. Only the SHA-256 of the key is stored.</summary>
public sealed class ApiKey
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    public required string Hash { get; set; }
    /// <summary>The first characters of the key (<c>clk_AbCd…</c>), so an operator can tell keys apart.</summary>
    public required string Hint { get; set; }
    public string? Name { get; set; }
    /// <summary>Space-separated scopes.</summary>
    public required string Scopes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>The scopes an API key can hold (SPEC §2).</summary>
public static class Scopes
{
    public const string LinksWrite = "links:write";
    public const string LinksRead = "links:read";
    public const string ConnectionsRead = "connections:read";
    public const string ConnectionsSecrets = "connections:secrets";
    public const string WebhooksWrite = "webhooks:write";
    public const string SettingsWrite = "settings:write";

    public static readonly string[] All = [LinksWrite, LinksRead, ConnectionsRead, ConnectionsSecrets, WebhooksWrite, SettingsWrite];

    /// <summary>What a new key gets unless told otherwise: everything but reading decrypted credentials.</summary>
    public static readonly string[] Default = [LinksWrite, LinksRead, ConnectionsRead, WebhooksWrite, SettingsWrite];
}

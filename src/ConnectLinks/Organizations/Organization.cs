namespace ConnectLinks.Organizations;

/// <summary>A partner tenant. Every other row belongs to exactly one organization.</summary>
public sealed class Organization
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Lifetime of a link created without <c>expires_in</c>, in seconds (24 h out of the box).</summary>
    public int DefaultLinkTtlSeconds { get; set; } = 24 * 3600;
    public string? DefaultRedirectUri { get; set; }
    public string[] AllowedRedirectOrigins { get; set; } = [];
    public string[] AllowedEmbedOrigins { get; set; } = [];
    public string? BrandingName { get; set; }
    public string? BrandingLogoUrl { get; set; }
    public string? BrandingAccentColor { get; set; }
    public string? BrandingSupportEmail { get; set; }
}

using ConnectLinks.Connections;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.OAuth;

/// <summary>
/// An organization's OAuth app at one provider (connector): the client id, and the client secret encrypted with
/// <see cref="Security.Secrets.SecretBox"/>. The secret is write-only through the API.
/// </summary>
public sealed class OAuthClient
{
    public required string OrganizationId { get; set; }
    public required string Connector { get; set; }
    public required string ClientId { get; set; }
    public required string SecretKeyId { get; set; }
    public required byte[] SecretWrappedKey { get; set; }
    public required byte[] SecretCiphertext { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Associated data of the encrypted secret: a ciphertext copied to another organization or connector does not decrypt.</summary>
    public string SecretOwner => $"oauth-client/{OrganizationId}/{Connector}";
}

/// <summary>
/// One authorization round trip in progress: created when the customer leaves for the provider, consumed (once) when
/// the provider sends them back. Only a hash of the <c>state</c> value and of the browser cookie is stored; the PKCE
/// verifier and the link token (for a "try again" link on error pages) are encrypted.
/// </summary>
public sealed class OAuthState
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    public required string LinkId { get; set; }
    /// <summary>The link's token hash when the round trip began: a regenerated link makes the state worthless.</summary>
    public required string LinkTokenHash { get; set; }
    public required string Connector { get; set; }
    /// <summary>SHA-256 of the <c>state</c> parameter, looked up on the callback.</summary>
    public required string StateHash { get; set; }
    /// <summary>SHA-256 of the browser cookie: the callback must come from the browser that started.</summary>
    public required string BrowserHash { get; set; }
    /// <summary>The redirect_uri sent to the provider; the code exchange must repeat it exactly.</summary>
    public required string CallbackUrl { get; set; }
    public required string SecretKeyId { get; set; }
    public required byte[] SecretWrappedKey { get; set; }
    public required byte[] SecretCiphertext { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    /// <summary>Set by the one callback that consumed the state (a conditional UPDATE); a replay finds it set.</summary>
    public DateTimeOffset? UsedAt { get; set; }

    public string SecretOwner => $"oauth-state/{OrganizationId}/{Id}";
}

/// <summary>The OAuth tables in the EF model.</summary>
public static class OAuthModel
{
    public static void Configure(ModelBuilder model)
    {
        model.Entity<OAuthClient>(e =>
        {
            e.ToTable("oauth_clients");
            e.HasKey(c => new { c.OrganizationId, c.Connector });
            e.Ignore(c => c.SecretOwner);
        });
        model.Entity<OAuthState>(e =>
        {
            e.ToTable("oauth_states");
            e.HasIndex(s => s.StateHash).IsUnique();
            e.HasIndex(s => s.ExpiresAt);
            e.Ignore(s => s.SecretOwner);
        });
        model.Entity<Connection>().HasIndex(c => new { c.Status, c.TokenExpiresAt });
    }
}

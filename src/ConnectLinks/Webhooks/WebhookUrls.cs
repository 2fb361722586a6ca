using System.Net;
using ConnectLinks.Data;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Webhooks;

/// <summary>Which URLs may receive webhooks: https, or http on loopback when the operator allows it.</summary>
public static class WebhookUrls
{
    /// <summary>Longest URL accepted.</summary>
    public const int MaxLength = 2048;

    /// <summary><c>ConnectLinks:Network:AllowPrivateTargets</c>: on-premise installs and tests may reach private networks.</summary>
    public static bool AllowPrivateTargets(IConfiguration configuration) => configuration.GetValue<bool>("ConnectLinks:Network:AllowPrivateTargets");

    /// <summary>Null when <paramref name="value"/> may receive webhooks, else why not (to follow "the URL …" or a field name).</summary>
    public static string? Check(string value, WebhookOptions options, bool allowPrivateTargets)
    {
        if (value.Length > MaxLength) return $"must be at most {MaxLength} characters.";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host == "")
            return "must be an absolute https URL.";
        if (uri.UserInfo != "") return "must not contain a user name or password.";
        if (uri.Fragment != "") return "must not contain a fragment (#…).";
        if (uri.Scheme == "http")
        {
            var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
            if (!loopback) return "must use https.";
            if (!(options.AllowHttpLoopback || allowPrivateTargets))
                return "must use https (http on loopback needs ConnectLinks:Webhooks:AllowHttpLoopback).";
        }
        return null;
    }
}

/// <summary>The per-organization secret that signs deliveries to a link's own <c>webhook_url</c>.</summary>
public static class WebhookSecrets
{
    /// <summary>The organization's secret, created on first use (two instances racing agree on the first one stored).</summary>
    public static async Task<string> ForOrganizationAsync(AppDbContext db, string organizationId, TimeProvider clock, CancellationToken ct)
    {
        var existing = await db.WebhookSigningSecrets.AsNoTracking().Where(s => s.OrganizationId == organizationId).Select(s => s.Secret).FirstOrDefaultAsync(ct);
        if (existing is not null) return existing;
        var row = new WebhookSigningSecret { OrganizationId = organizationId, Secret = WebhookSignature.NewSecret(), CreatedAt = clock.Now() };
        db.WebhookSigningSecrets.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
            return row.Secret;
        }
        catch (DbUpdateException)
        {
            // Another request stored one first: use that one, so every delivery verifies with the same secret.
            db.ChangeTracker.Clear();
            return await db.WebhookSigningSecrets.AsNoTracking().Where(s => s.OrganizationId == organizationId).Select(s => s.Secret).FirstAsync(ct);
        }
    }
}

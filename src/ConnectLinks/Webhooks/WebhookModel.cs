using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Webhooks;

/// <summary>Tables and indexes of the webhook entities (migration 20261122000000_Webhooks creates them).</summary>
public static class WebhookModel
{
    /// <summary>Called from <c>AppDbContext.OnModelCreating</c>.</summary>
    public static void ConfigureWebhooks(this ModelBuilder model)
    {
        model.Entity<WebhookEndpoint>(e =>
        {
            e.ToTable("webhook_endpoints");
            e.HasIndex(w => new { w.OrganizationId, w.Id });
        });
        model.Entity<WebhookDelivery>(e =>
        {
            e.ToTable("webhook_deliveries");
            // The dispatcher's claim query: due pending deliveries in order.
            e.HasIndex(d => new { d.Status, d.NextAttemptAt });
            e.HasIndex(d => new { d.EndpointId, d.Id });
            e.HasIndex(d => d.LeaseOwner);
            e.HasIndex(d => d.CreatedAt);
        });
        model.Entity<WebhookAttempt>(e =>
        {
            e.ToTable("webhook_attempts");
            e.HasIndex(a => new { a.DeliveryId, a.AttemptedAt });
        });
        model.Entity<WebhookSigningSecret>(e =>
        {
            e.ToTable("webhook_signing_secrets");
            e.HasKey(s => s.OrganizationId);
        });
    }
}

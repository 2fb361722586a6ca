using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ConnectLinks.Data.Migrations;

/// <summary>Webhook endpoints, the delivery outbox, its attempt log and the per-organization secret for link webhooks.</summary>
[DbContext(typeof(AppDbContext))]
[Migration("20261122000000_Webhooks")]
public sealed class Webhooks : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("webhook_endpoints", t => new
        {
            Id = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            Url = t.Column<string>(nullable: false),
            Events = t.Column<string>(nullable: false),
            Description = t.Column<string>(nullable: true),
            Enabled = t.Column<bool>(nullable: false),
            DisabledReason = t.Column<string>(nullable: true),
            Secret = t.Column<string>(nullable: false),
            PreviousSecret = t.Column<string>(nullable: true),
            PreviousSecretExpiresAt = t.Column<long>(nullable: true),
            CreatedAt = t.Column<long>(nullable: false),
            UpdatedAt = t.Column<long>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_webhook_endpoints", x => x.Id));
        m.CreateIndex("IX_webhook_endpoints_OrganizationId_Id", "webhook_endpoints", ["OrganizationId", "Id"]);

        m.CreateTable("webhook_deliveries", t => new
        {
            Id = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            EventId = t.Column<string>(nullable: false),
            EventType = t.Column<string>(nullable: false),
            EndpointId = t.Column<string>(nullable: true),
            Url = t.Column<string>(nullable: true),
            LinkId = t.Column<string>(nullable: true),
            Payload = t.Column<string>(nullable: false),
            Status = t.Column<string>(nullable: false),
            Attempts = t.Column<int>(nullable: false),
            NextAttemptAt = t.Column<long>(nullable: true),
            LastAttemptAt = t.Column<long>(nullable: true),
            LastStatusCode = t.Column<int>(nullable: true),
            LastError = t.Column<string>(nullable: true),
            LastLatencyMs = t.Column<int>(nullable: true),
            LeaseOwner = t.Column<string>(nullable: true),
            LeaseUntil = t.Column<long>(nullable: true),
            CreatedAt = t.Column<long>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_webhook_deliveries", x => x.Id));
        m.CreateIndex("IX_webhook_deliveries_Status_NextAttemptAt", "webhook_deliveries", ["Status", "NextAttemptAt"]);
        m.CreateIndex("IX_webhook_deliveries_EndpointId_Id", "webhook_deliveries", ["EndpointId", "Id"]);
        m.CreateIndex("IX_webhook_deliveries_LeaseOwner", "webhook_deliveries", "LeaseOwner");
        m.CreateIndex("IX_webhook_deliveries_CreatedAt", "webhook_deliveries", "CreatedAt");

        m.CreateTable("webhook_attempts", t => new
        {
            Id = t.Column<string>(nullable: false),
            DeliveryId = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            AttemptedAt = t.Column<long>(nullable: false),
            StatusCode = t.Column<int>(nullable: true),
            LatencyMs = t.Column<int>(nullable: false),
            Error = t.Column<string>(nullable: true),
            NextAttemptAt = t.Column<long>(nullable: true),
            Instance = t.Column<string>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_webhook_attempts", x => x.Id));
        m.CreateIndex("IX_webhook_attempts_DeliveryId_AttemptedAt", "webhook_attempts", ["DeliveryId", "AttemptedAt"]);

        m.CreateTable("webhook_signing_secrets", t => new
        {
            OrganizationId = t.Column<string>(nullable: false),
            Secret = t.Column<string>(nullable: false),
            CreatedAt = t.Column<long>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_webhook_signing_secrets", x => x.OrganizationId));
    }

    protected override void Down(MigrationBuilder m)
    {
        foreach (var table in new[] { "webhook_signing_secrets", "webhook_attempts", "webhook_deliveries", "webhook_endpoints" })
            m.DropTable(table);
    }
}

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ConnectLinks.Data.Migrations;

/// <summary>
/// The first schema. Written by hand (dotnet ef is not available here); column types come from the model,
/// so the same migration serves SQLite and PostgreSQL.
/// </summary>
[DbContext(typeof(AppDbContext))]
[Migration("20261121000000_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("organizations", t => new
        {
            Id = t.Column<string>(nullable: false),
            Name = t.Column<string>(nullable: false),
            CreatedAt = t.Column<long>(nullable: false),
            DefaultLinkTtlSeconds = t.Column<int>(nullable: false),
            DefaultRedirectUri = t.Column<string>(nullable: true),
            AllowedRedirectOrigins = t.Column<string>(nullable: false),
            AllowedEmbedOrigins = t.Column<string>(nullable: false),
            BrandingName = t.Column<string>(nullable: true),
            BrandingLogoUrl = t.Column<string>(nullable: true),
            BrandingAccentColor = t.Column<string>(nullable: true),
            BrandingSupportEmail = t.Column<string>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_organizations", x => x.Id));
        m.CreateIndex("IX_organizations_Name", "organizations", "Name", unique: true);

        m.CreateTable("api_keys", t => new
        {
            Id = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            Hash = t.Column<string>(nullable: false),
            Hint = t.Column<string>(nullable: false),
            Name = t.Column<string>(nullable: true),
            Scopes = t.Column<string>(nullable: false),
            CreatedAt = t.Column<long>(nullable: false),
            RevokedAt = t.Column<long>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_api_keys", x => x.Id));
        m.CreateIndex("IX_api_keys_Hash", "api_keys", "Hash", unique: true);
        m.CreateIndex("IX_api_keys_OrganizationId", "api_keys", "OrganizationId");

        m.CreateTable("links", t => new
        {
            Id = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            TokenHash = t.Column<string>(nullable: false),
            Status = t.Column<string>(nullable: false),
            Kind = t.Column<string>(nullable: false),
            Connector = t.Column<string>(nullable: true),
            ConnectorList = t.Column<string>(nullable: false),
            Categories = t.Column<string>(nullable: false),
            OwnerId = t.Column<string>(nullable: false),
            OwnerName = t.Column<string>(nullable: true),
            OwnerUsername = t.Column<string>(nullable: true),
            Title = t.Column<string>(nullable: true),
            RedirectUri = t.Column<string>(nullable: true),
            WebhookUrl = t.Column<string>(nullable: true),
            ExpiresAt = t.Column<long>(nullable: false),
            CreatedAt = t.Column<long>(nullable: false),
            OpenedAt = t.Column<long>(nullable: true),
            CompletedAt = t.Column<long>(nullable: true),
            RevokedAt = t.Column<long>(nullable: true),
            Uses = t.Column<int>(nullable: false),
            MaxUses = t.Column<int>(nullable: false),
            Attempts = t.Column<int>(nullable: false),
            MaxAttempts = t.Column<int>(nullable: false),
            ConnectionId = t.Column<string>(nullable: true),
            Metadata = t.Column<string>(nullable: false),
            Prefill = t.Column<string>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_links", x => x.Id));
        m.CreateIndex("IX_links_TokenHash", "links", "TokenHash", unique: true);
        m.CreateIndex("IX_links_OrganizationId_Id", "links", ["OrganizationId", "Id"]);
        m.CreateIndex("IX_links_Status_ExpiresAt", "links", ["Status", "ExpiresAt"]);

        m.CreateTable("events", t => new
        {
            Id = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            Type = t.Column<string>(nullable: false),
            LinkId = t.Column<string>(nullable: true),
            ConnectionId = t.Column<string>(nullable: true),
            Data = t.Column<string>(nullable: false),
            ActorIp = t.Column<string>(nullable: true),
            ActorUserAgent = t.Column<string>(nullable: true),
            CreatedAt = t.Column<long>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_events", x => x.Id));
        m.CreateIndex("IX_events_OrganizationId_Id", "events", ["OrganizationId", "Id"]);
        m.CreateIndex("IX_events_CreatedAt", "events", "CreatedAt");

        m.CreateTable("idempotency_records", t => new
        {
            OrganizationId = t.Column<string>(nullable: false),
            Key = t.Column<string>(nullable: false),
            RequestHash = t.Column<string>(nullable: false),
            StatusCode = t.Column<int>(nullable: true),
            ResponseBody = t.Column<string>(nullable: true),
            CreatedAt = t.Column<long>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_idempotency_records", x => new { x.OrganizationId, x.Key }));
        m.CreateIndex("IX_idempotency_records_CreatedAt", "idempotency_records", "CreatedAt");
    }

    protected override void Down(MigrationBuilder m)
    {
        foreach (var table in new[] { "idempotency_records", "events", "links", "api_keys", "organizations" })
            m.DropTable(table);
    }
}

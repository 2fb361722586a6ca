using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ConnectLinks.Data.Migrations;

/// <summary>OAuth: per-organization client credentials, round trips in progress, and the refresh schedule and lease of connections.</summary>
[DbContext(typeof(AppDbContext))]
[Migration("20261122100000_OAuth")]
public sealed class OAuth : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("oauth_clients", t => new
        {
            OrganizationId = t.Column<string>(nullable: false),
            Connector = t.Column<string>(nullable: false),
            ClientId = t.Column<string>(nullable: false),
            SecretKeyId = t.Column<string>(nullable: false),
            SecretWrappedKey = t.Column<byte[]>(nullable: false),
            SecretCiphertext = t.Column<byte[]>(nullable: false),
            CreatedAt = t.Column<long>(nullable: false),
            UpdatedAt = t.Column<long>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_oauth_clients", x => new { x.OrganizationId, x.Connector }));

        m.CreateTable("oauth_states", t => new
        {
            Id = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            LinkId = t.Column<string>(nullable: false),
            LinkTokenHash = t.Column<string>(nullable: false),
            Connector = t.Column<string>(nullable: false),
            StateHash = t.Column<string>(nullable: false),
            BrowserHash = t.Column<string>(nullable: false),
            CallbackUrl = t.Column<string>(nullable: false),
            SecretKeyId = t.Column<string>(nullable: false),
            SecretWrappedKey = t.Column<byte[]>(nullable: false),
            SecretCiphertext = t.Column<byte[]>(nullable: false),
            CreatedAt = t.Column<long>(nullable: false),
            ExpiresAt = t.Column<long>(nullable: false),
            UsedAt = t.Column<long>(nullable: true),
        }, constraints: t => t.PrimaryKey("PK_oauth_states", x => x.Id));
        m.CreateIndex("IX_oauth_states_StateHash", "oauth_states", "StateHash", unique: true);
        m.CreateIndex("IX_oauth_states_ExpiresAt", "oauth_states", "ExpiresAt");

        m.AddColumn<long>("TokenExpiresAt", "connections", nullable: true);
        m.AddColumn<string>("RefreshLeaseId", "connections", nullable: true);
        m.AddColumn<long>("RefreshLeaseUntil", "connections", nullable: true);
        m.CreateIndex("IX_connections_Status_TokenExpiresAt", "connections", ["Status", "TokenExpiresAt"]);
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropIndex("IX_connections_Status_TokenExpiresAt", "connections");
        m.DropColumn("RefreshLeaseUntil", "connections");
        m.DropColumn("RefreshLeaseId", "connections");
        m.DropColumn("TokenExpiresAt", "connections");
        m.DropTable("oauth_states");
        m.DropTable("oauth_clients");
    }
}

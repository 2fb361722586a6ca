using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ConnectLinks.Data.Migrations;

/// <summary>Connections (with their encrypted secrets) and the shared data-protection keys.</summary>
[DbContext(typeof(AppDbContext))]
[Migration("20261121120000_Connections")]
public sealed class Connections : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("connections", t => new
        {
            Id = t.Column<string>(nullable: false),
            OrganizationId = t.Column<string>(nullable: false),
            Connector = t.Column<string>(nullable: false),
            Kind = t.Column<string>(nullable: false),
            Status = t.Column<string>(nullable: false),
            OwnerId = t.Column<string>(nullable: false),
            OwnerName = t.Column<string>(nullable: true),
            OwnerUsername = t.Column<string>(nullable: true),
            LinkId = t.Column<string>(nullable: true),
            Config = t.Column<string>(nullable: false),
            Metadata = t.Column<string>(nullable: false),
            SecretKeyId = t.Column<string>(nullable: false),
            SecretWrappedKey = t.Column<byte[]>(nullable: false),
            SecretCiphertext = t.Column<byte[]>(nullable: false),
            LastTestAt = t.Column<long>(nullable: true),
            LastTestOk = t.Column<bool>(nullable: true),
            LastTestChecks = t.Column<string>(nullable: false),
            CreatedAt = t.Column<long>(nullable: false),
            UpdatedAt = t.Column<long>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_connections", x => x.Id));
        m.CreateIndex("IX_connections_OrganizationId_Id", "connections", ["OrganizationId", "Id"]);
        m.CreateIndex("IX_connections_SecretKeyId", "connections", "SecretKeyId");

        m.AddColumn<bool>("IsReconnect", "links", nullable: false, defaultValue: false);

        m.CreateTable("data_protection_keys", t => new
        {
            Id = t.Column<string>(nullable: false),
            Xml = t.Column<string>(nullable: false),
        }, constraints: t => t.PrimaryKey("PK_data_protection_keys", x => x.Id));
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropTable("data_protection_keys");
        m.DropTable("connections");
        m.DropColumn("IsReconnect", "links");
    }
}

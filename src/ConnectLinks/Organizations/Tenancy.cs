using ConnectLinks.Data;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Organizations;

/// <summary>Creating organizations and their API keys: shared by the CLI and the first start in Development.</summary>
public static class Tenancy
{
    /// <summary>The organization with this name, created if missing.</summary>
    public static async Task<Organization> EnsureOrganizationAsync(AppDbContext db, string name, TimeProvider clock, CancellationToken ct)
    {
        var org = await db.Organizations.FirstOrDefaultAsync(o => o.Name == name, ct);
        if (org is not null) return org;
        org = new Organization { Id = Ids.New("org", clock), Name = name, CreatedAt = clock.Now() };
        db.Organizations.Add(org);
        await db.SaveChangesAsync(ct);
        return org;
    }

    /// <summary>A new API key for <paramref name="org"/>; the returned key is the only copy (the database keeps its hash).</summary>
    public static async Task<(ApiKey Row, string Key)> CreateKeyAsync(AppDbContext db, Organization org, string[] scopes, string? name, TimeProvider clock, CancellationToken ct)
    {
        var key = OpaqueToken.New(OpaqueToken.ApiKeyPrefix);
        var row = new ApiKey
        {
            Id = Ids.New("key", clock),
            OrganizationId = org.Id,
            Hash = OpaqueToken.Hash(key),
            Hint = key[..8],
            Name = name,
            Scopes = string.Join(' ', scopes),
            CreatedAt = clock.Now(),
        };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        return (row, key);
    }

    /// <summary>Validates scope names; returns the unknown ones.</summary>
    public static string[] UnknownScopes(IEnumerable<string> scopes) => scopes.Where(s => !Scopes.All.Contains(s)).ToArray();
}

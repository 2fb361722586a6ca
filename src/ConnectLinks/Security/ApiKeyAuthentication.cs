using System.Security.Claims;
using System.Text.Encodings.Web;
using ConnectLinks.Data;
using ConnectLinks.Organizations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Security;

/// <summary>How long a checked key (and its organization's settings) is trusted before the database is asked again.</summary>
public sealed class ApiKeyCacheOptions
{
    /// <summary>Seconds. Bounds how long a key revoked on another instance keeps working (the spec allows 5).</summary>
    public double CacheSeconds { get; set; } = 3;
}

/// <summary>What one API key may do and for which organization; cached by key hash.</summary>
public sealed record ApiPrincipal(string KeyId, string OrganizationId, string[] Scopes, Organization Organization);

/// <summary>
/// Looks API keys up by SHA-256 and caches the answer briefly, so a request costs no database query, yet a key
/// revoked anywhere stops working everywhere within <see cref="ApiKeyCacheOptions.CacheSeconds"/>.
/// </summary>
public sealed class ApiKeyStore(IDbContextFactory<AppDbContext> contexts, IMemoryCache cache, IOptions<ApiKeyCacheOptions> options)
{
    private static string CacheKey(string hash) => "apikey:" + hash;

    public async ValueTask<ApiPrincipal?> FindAsync(string hash, CancellationToken ct)
    {
        if (cache.TryGetValue(CacheKey(hash), out ApiPrincipal? cached)) return cached;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Join(db.Organizations.AsNoTracking(), k => k.OrganizationId, o => o.Id, (k, o) => new { k.Id, k.Hash, k.Scopes, Org = o })
            .FirstOrDefaultAsync(ct);
        // Note: the index found the row by hash; compare again in constant time so no timing depends on the bytes.
        if (row is null || !OpaqueToken.HashesEqual(row.Hash, hash)) return null;
        var principal = new ApiPrincipal(row.Id, row.Org.Id, row.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), row.Org);
        cache.Set(CacheKey(hash), principal, TimeSpan.FromSeconds(options.Value.CacheSeconds));
        return principal;
    }

    /// <summary>Drops a key from this instance's cache at once (other instances follow within the cache period).</summary>
    public void Forget(string hash) => cache.Remove(CacheKey(hash));

    /// <summary>Organization settings changed: forget every cached key so the next request sees them.</summary>
    public void ForgetAll()
    {
        if (cache is MemoryCache memory) memory.Clear();
    }
}

/// <summary>Authenticates <c>Authorization: Bearer clk_…</c>.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'.");
        var key = header["Bearer ".Length..].Trim();
        if (!OpaqueToken.HasShape(key, OpaqueToken.ApiKeyPrefix))
            return AuthenticateResult.Fail("This is not an API key.");
        var principal = await keys.FindAsync(OpaqueToken.Hash(key), Context.RequestAborted);
        if (principal is null) return AuthenticateResult.Fail("This API key is unknown or revoked.");

        Context.Features.Set(principal);
        var claims = new List<Claim>(principal.Scopes.Length + 2)
        {
            new(ClaimTypes.NameIdentifier, principal.KeyId),
            new("org", principal.OrganizationId),
        };
        foreach (var scope in principal.Scopes) claims.Add(new Claim(ScopeClaim, scope));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }
}

public static class ApiKeyAuthenticationExtensions
{
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMemoryCache();
        services.Configure<ApiKeyCacheOptions>(configuration.GetSection("ConnectLinks:ApiKeys"));
        services.AddSingleton<ApiKeyStore>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddScopePolicies();
        return services;
    }

    private static void AddScopePolicies(this Microsoft.AspNetCore.Authorization.AuthorizationBuilder builder)
    {
        foreach (var scope in Scopes.All)
            builder.AddPolicy(scope, p => p.RequireAuthenticatedUser().RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, scope));
    }

    /// <summary>The authenticated key of this request (set by the handler).</summary>
    public static ApiPrincipal Caller(this HttpContext context) =>
        context.Features.Get<ApiPrincipal>() ?? throw new InvalidOperationException("No authenticated API key on this request.");
}

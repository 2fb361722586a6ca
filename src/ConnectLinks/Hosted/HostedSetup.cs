using System.Threading.RateLimiting;
using ConnectLinks.Api;
using ConnectLinks.Connections;
using ConnectLinks.Data;
using ConnectLinks.Security;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Hosted;

public static class HostedSetup
{
    /// <summary>Pages, anti-forgery with keys shared through the database, and per-IP and per-token rate limits.</summary>
    public static IServiceCollection AddHostedFlow(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddSingleton<ConnectionSecrets>();
        services.AddSingleton<ConnectFlow>();
        services.AddDataProtection().SetApplicationName("ConnectLinks");
        services.AddOptions<KeyManagementOptions>().Configure<IDbContextFactory<AppDbContext>>((o, contexts) => o.XmlRepository = new DatabaseXmlRepository(contexts));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "cl_af";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__af";
        });
        services.AddRateLimiter(limiter =>
        {
            // Per token: every request that names a token, whoever sends it.
            limiter.AddPolicy(HostedPages.TokenPolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<RateLimitOptions>();
                var token = http.Request.RouteValues["token"] as string ?? "";
                return RateLimitPartition.GetFixedWindowLimiter("token:" + OpaqueToken.Hash(token), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.HostedPermitsPerMinutePerToken, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
                });
            });
            // Per client IP, across every hosted page and token (so guessing tokens is slow too).
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (!http.Request.Path.StartsWithSegments("/connect")) return RateLimitPartition.GetNoLimiter("");
                var options = http.RequestServices.GetRequiredService<RateLimitOptions>();
                return RateLimitPartition.GetFixedWindowLimiter("ip:" + http.Connection.RemoteIpAddress, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.HostedPermitsPerMinutePerIp, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
                });
            });
        });
        return services;
    }

    /// <summary>Headers of every hosted page (SPEC §8): strict CSP, no referrer, no caching, no framing.</summary>
    public static IApplicationBuilder UseHostedPageHeaders(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.Path.StartsWithSegments("/connect"))
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
                                            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
        }
        await next(http);
    });
}

using System.Globalization;
using System.Threading.RateLimiting;
using ConnectLinks.Security;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace ConnectLinks.Api;

/// <summary>Per-key API rate limit: a token bucket per API key. Settings under <c>ConnectLinks:RateLimits</c>.</summary>
public sealed class RateLimitOptions
{
    public int ApiPermitsPerSecond { get; set; } = 100;
    public int ApiBurst { get; set; } = 200;
    public int HostedPermitsPerMinutePerIp { get; set; } = 120;
    public int HostedPermitsPerMinutePerToken { get; set; } = 60;
}

public static class ApiRouting
{
    public const string ApiPolicy = "api";
    /// <summary>Largest JSON body the API accepts.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    /// <summary>Every /v1 group: an API key, the per-key rate limit and the body size limit.</summary>
    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group) => group
        .RequireAuthorization()
        .RequireRateLimiting(ApiPolicy)
        .WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes))
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);

    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("ConnectLinks:RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.AddSingleton(options);
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(ApiPolicy, http =>
            {
                var key = http.Features.Get<ApiPrincipal>()?.KeyId ?? "ip:" + http.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.ApiBurst,
                    TokensPerPeriod = options.ApiPermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                if (context.HttpContext.Request.Path.StartsWithSegments("/connect"))
                {
                    // A person is reading this one: plain words, not JSON.
                    context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    context.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
                    await context.HttpContext.Response.WriteAsync($"Too many tries in a short time. Please wait {retryAfter} seconds and try again.", ct);
                    return;
                }
                await Problems.Error("rate_limited", $"Slow down: retry after {retryAfter} second(s).").ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }
}

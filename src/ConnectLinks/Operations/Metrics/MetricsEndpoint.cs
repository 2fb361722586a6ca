using System.Security.Cryptography;
using System.Text;
using ConnectLinks.Api;
using ConnectLinks.Data;
using ConnectLinks.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ConnectLinks.Operations.Metrics;

/// <summary>Settings under <c>ConnectLinks:Metrics</c>.</summary>
public sealed class MetricsOptions
{
    /// <summary>Serve <c>/metrics</c> at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>When set, a scrape must send <c>Authorization: Bearer &lt;token&gt;</c>; otherwise the page is open.</summary>
    public string? Token { get; set; }
}

/// <summary><c>GET /metrics</c> in the Prometheus text format (SPEC §10).</summary>
public static class MetricsEndpoint
{
    public static IServiceCollection AddServiceMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(configuration.GetSection("ConnectLinks:Metrics").Get<MetricsOptions>() ?? new MetricsOptions());
        services.AddMetrics();
        services.TryAddSingleton<ServiceMetrics>();
        services.AddSingleton<PrometheusExporter>();
        return services;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        var options = routes.ServiceProvider.GetRequiredService<MetricsOptions>();
        if (!options.Enabled) return routes;
        // Created now, not at the first scrape, so that it sees every measurement from the start.
        routes.ServiceProvider.GetRequiredService<PrometheusExporter>();
        var expected = options.Token is { Length: > 0 } token ? SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + token)) : null;
        routes.MapGet("/metrics", async Task<IResult> (HttpContext http, PrometheusExporter exporter, AppDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            if (expected is not null
                && !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(http.Request.Headers.Authorization.ToString())), expected))
                return Problems.Error("unauthorized", "Send the metrics token (ConnectLinks:Metrics:Token) as 'Authorization: Bearer …'.");
            var gauges = await WebhookQueueAsync(db, clock, ct);
            return Results.Text(exporter.Render(gauges), "text/plain; version=0.0.4; charset=utf-8");
        }).ExcludeFromDescription();
        return routes;
    }

    /// <summary>
    /// The webhook queue, read from the database at scrape time so that every instance reports the shared queue
    /// (both queries walk the (Status, NextAttemptAt) index).
    /// </summary>
    private static async Task<ScrapeGauge[]> WebhookQueueAsync(AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.Now();
        var pending = db.WebhookDeliveries.Where(d => d.Status == WebhookDeliveryStatus.Pending);
        var depth = await pending.CountAsync(ct);
        var oldestDue = await pending.Where(d => d.NextAttemptAt <= now).Select(d => (DateTimeOffset?)d.NextAttemptAt).MinAsync(ct);
        return
        [
            new("connectlinks_webhook_queue_depth", "Webhook deliveries waiting to be sent, due now or later (all instances).", depth),
            new("connectlinks_webhook_queue_oldest_due_seconds", "How long the oldest due delivery has waited past its time (0 when none is due).",
                oldestDue is { } due ? Math.Max(0, (now - due).TotalSeconds) : 0),
        ];
    }
}

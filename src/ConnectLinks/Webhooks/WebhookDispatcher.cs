using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using ConnectLinks.Data;
using ConnectLinks.Operations.Metrics;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Webhooks;

/// <summary>
/// Sends due deliveries from the outbox table. Each instance claims a batch by setting a lease (a conditional
/// UPDATE; on PostgreSQL over <c>FOR UPDATE SKIP LOCKED</c>), sends concurrently up to
/// <see cref="WebhookOptions.MaxConcurrency"/>, records every attempt and schedules the next one. The backlog lives
/// only in the database: an instance killed mid-send loses nothing, its leases expire and any instance re-claims them
/// (the receiver may then see a delivery twice, which is why <c>webhook-id</c> is stable: at-least-once).
/// </summary>
public sealed class WebhookDispatcher : BackgroundService
{
    private readonly IDbContextFactory<AppDbContext> _contexts;
    private readonly WebhookOptions _options;
    private readonly WebhookSignal _signal;
    private readonly TimeProvider _clock;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly ServiceMetrics _metrics;
    private readonly HttpClient _http;
    private readonly bool _allowPrivateTargets;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    /// <summary>This process's name in leases and in the attempt log.</summary>
    public string Instance { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    public WebhookDispatcher(IDbContextFactory<AppDbContext> contexts, WebhookOptions options, WebhookSignal signal, TimeProvider clock,
        IConfiguration configuration, ServiceMetrics metrics, ILogger<WebhookDispatcher> logger)
    {
        _contexts = contexts;
        _metrics = metrics;
        _options = options;
        _signal = signal;
        _clock = clock;
        _logger = logger;
        _allowPrivateTargets = WebhookUrls.AllowPrivateTargets(configuration);
        var guard = new WebhookAddressGuard(_allowPrivateTargets);
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = guard.ConnectAsync,
            // Note: a redirect would send the signed body somewhere the partner did not register.
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(options.TimeoutSeconds),
        })
        { Timeout = Timeout.InfiniteTimeSpan }; // each send has its own deadline
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("ConnectLinks-Webhooks/1.0");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var inFlight = new List<Task>();
        var poll = TimeSpan.FromSeconds(_options.PollIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            inFlight.RemoveAll(t => t.IsCompleted);
            var free = _options.MaxConcurrency - inFlight.Count;
            var claimed = 0;
            // Claim in batches: once busy, wait until a quarter of the slots are free, so each claim (a write on the
            // database) brings several deliveries instead of the one or two that just finished.
            if (free > 0 && (inFlight.Count == 0 || free >= Math.Max(1, _options.MaxConcurrency / 4)))
            {
                try
                {
                    var batch = await ClaimAsync(free, stoppingToken);
                    claimed = batch.Count;
                    // Note: sends are not tied to stoppingToken: at shutdown, claimed deliveries finish (graceful drain).
                    foreach (var (delivery, lease) in batch) inFlight.Add(Task.Run(() => DeliverAsync(delivery, lease), CancellationToken.None));
                    await PruneIfDueAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    _logger.LogError(e, "Claiming webhook deliveries failed; retrying after the poll interval");
                }
            }
            if (free > 0 && claimed == free) continue; // more may be due right now
            try
            {
                if (inFlight.Count > 0 && (free <= 0 || claimed == 0 && free < Math.Max(1, _options.MaxConcurrency / 4)))
                    await Task.WhenAny(inFlight).WaitAsync(stoppingToken);
                // Note: the poll waits in real time even when tests move the injected clock; "due" is judged by that clock.
                else await _signal.WaitAsync(poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        }
        await Task.WhenAll(inFlight);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    private const string ClaimSql = """
        UPDATE webhook_deliveries SET "LeaseOwner" = {0}, "LeaseUntil" = {1}
        WHERE "Id" IN (
            SELECT "Id" FROM webhook_deliveries
            WHERE "Status" = 'pending' AND "NextAttemptAt" <= {2} AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {2})
            ORDER BY "NextAttemptAt" LIMIT {3}
        """;

    /// <summary>Claims up to <paramref name="max"/> due deliveries for this instance; returns them with the lease token.</summary>
    internal async Task<List<(WebhookDelivery Delivery, string Lease)>> ClaimAsync(int max, CancellationToken ct)
    {
        var now = _clock.Now();
        var until = now.AddSeconds(_options.LeaseSeconds);
        var lease = Instance + ":" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        await using var db = await _contexts.CreateDbContextAsync(ct);
        // One statement claims the batch: the inner SELECT walks the (Status, NextAttemptAt) index, the outer UPDATE
        // finds rows by primary key. Note: on SQLite a two-step claim (SELECT ids, then UPDATE … WHERE Id IN (ids) AND
        // Status = 'pending') let the planner scan every pending row through the Status index, so claims slowed with
        // the backlog (about 100 deliveries/s after a 600k-event outage). SKIP LOCKED lets PostgreSQL instances claim
        // disjoint batches without waiting on each other's rows; SQLite has one writer at a time anyway.
        var claim = ClaimSql + (db.Database.IsNpgsql() ? " FOR UPDATE SKIP LOCKED)" : ")");
        await db.Database.ExecuteSqlRawAsync(claim, [lease, until.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), max], ct);
        var claimed = await db.WebhookDeliveries.AsNoTracking().Where(d => d.LeaseOwner == lease).ToListAsync(ct);
        return claimed.ConvertAll(d => (d, lease));
    }

    /// <summary>One attempt: resolve the target and secrets, send, record the outcome. Never throws.</summary>
    internal async Task DeliverAsync(WebhookDelivery delivery, string lease)
    {
        try
        {
            await using var db = await _contexts.CreateDbContextAsync();
            string url;
            string[] secrets;
            if (delivery.EndpointId is not null)
            {
                var endpoint = await db.WebhookEndpoints.AsNoTracking().FirstOrDefaultAsync(w => w.Id == delivery.EndpointId);
                if (endpoint is null || !endpoint.Enabled)
                {
                    if (await FinishAsync(db, delivery, lease, WebhookDeliveryStatus.Disabled, null, null, attempt: null))
                        _metrics.WebhookAttempt(WebhookDeliveryStatus.Disabled, null);
                    return;
                }
                url = endpoint.Url;
                secrets = endpoint.SigningSecrets(_clock.Now());
            }
            else
            {
                url = delivery.Url!;
                secrets = [await WebhookSecrets.ForOrganizationAsync(db, delivery.OrganizationId, _clock, CancellationToken.None)];
            }

            var (statusCode, error, latency) = await SendAsync(delivery, url, secrets);
            var now = _clock.Now();
            var attempts = delivery.Attempts + 1;
            var gone = statusCode == (int)HttpStatusCode.Gone;
            string status;
            DateTimeOffset? next = null;
            if (statusCode is >= 200 and < 300) status = WebhookDeliveryStatus.Delivered;
            else if (gone && delivery.EndpointId is not null) status = WebhookDeliveryStatus.Disabled;
            else if (gone) status = WebhookDeliveryStatus.Failed; // a link's own URL is gone: stop, there is no endpoint to disable
            else if (attempts - 1 < _options.RetrySchedule.Length) { status = WebhookDeliveryStatus.Pending; next = now + _options.RetrySchedule[attempts - 1]; }
            else status = WebhookDeliveryStatus.Failed;

            var attempt = new WebhookAttempt
            {
                Id = Ids.New("wha", _clock), DeliveryId = delivery.Id, OrganizationId = delivery.OrganizationId, AttemptedAt = now,
                StatusCode = statusCode, LatencyMs = latency, Error = error, NextAttemptAt = next, Instance = Instance,
            };
            // Counted only by the instance whose outcome stood (an expired lease means another instance sends again).
            if (await FinishAsync(db, delivery, lease, status, next, statusCode, attempt, error, latency, attempts,
                    disableEndpoint: gone && delivery.EndpointId is not null))
                _metrics.WebhookAttempt(status == WebhookDeliveryStatus.Pending ? "retrying" : status,
                    status == WebhookDeliveryStatus.Delivered ? now - delivery.CreatedAt : null);
        }
        catch (Exception e)
        {
            // The lease expires and the delivery is tried again; nothing is lost.
            _logger.LogError(e, "Webhook delivery {DeliveryId} could not be processed", delivery.Id);
        }
    }

    private async Task<(int? StatusCode, string? Error, int LatencyMs)> SendAsync(WebhookDelivery delivery, string url, string[] secrets)
    {
        if (WebhookUrls.Check(url, _options, _allowPrivateTargets) is { } badUrl) return (null, "refused: the URL " + badUrl, 0);
        var timestamp = _clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.EventId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(delivery.EventId, timestamp, delivery.Payload, secrets));
        var timeout = TimeSpan.FromSeconds(_options.TimeoutSeconds);
        using var deadline = new CancellationTokenSource(timeout);
        var started = Stopwatch.GetTimestamp();
        int Latency() => (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var code = (int)response.StatusCode;
            return (code, code is >= 200 and < 300 ? null : $"HTTP {code}", Latency());
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return (null, $"timed out after {_options.TimeoutSeconds:0.###} s", Latency());
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookAddressRefusedException refused)
        {
            return (null, "refused: " + refused.Message, Latency());
        }
        catch (HttpRequestException e)
        {
            return (null, Trim(e.InnerException?.Message ?? e.Message), Latency());
        }
    }

    /// <summary>Records the outcome; false when the lease was lost and another instance now owns the delivery.</summary>
    private async Task<bool> FinishAsync(AppDbContext db, WebhookDelivery delivery, string lease, string status, DateTimeOffset? next, int? statusCode,
        WebhookAttempt? attempt, string? error = null, int? latency = null, int? attempts = null, bool disableEndpoint = false)
    {
        var now = _clock.Now();
        await using var tx = await db.Database.BeginWriteAsync();
        // Only the lease holder writes the outcome; if the lease expired and another instance took over, it decides.
        var owned = await db.WebhookDeliveries.Where(d => d.Id == delivery.Id && d.LeaseOwner == lease).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, status)
            .SetProperty(d => d.NextAttemptAt, next)
            .SetProperty(d => d.Attempts, attempts ?? delivery.Attempts)
            .SetProperty(d => d.LastAttemptAt, attempt != null ? now : delivery.LastAttemptAt)
            .SetProperty(d => d.LastStatusCode, attempt != null ? statusCode : delivery.LastStatusCode)
            .SetProperty(d => d.LastError, attempt != null ? error : delivery.LastError)
            .SetProperty(d => d.LastLatencyMs, attempt != null ? latency : delivery.LastLatencyMs)
            .SetProperty(d => d.LeaseOwner, (string?)null)
            .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null));
        if (disableEndpoint)
        {
            var reason = $"The endpoint answered 410 Gone on {now:yyyy-MM-dd'T'HH:mm:ss'Z'}; re-enable it with PATCH enabled=true.";
            await db.WebhookEndpoints.Where(w => w.Id == delivery.EndpointId && w.Enabled)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.Enabled, false).SetProperty(w => w.DisabledReason, reason).SetProperty(w => w.UpdatedAt, now));
            _logger.LogWarning("Webhook endpoint {EndpointId} answered 410 Gone and was disabled", delivery.EndpointId);
        }
        if (attempt is not null)
        {
            db.WebhookAttempts.Add(attempt);
            await db.SaveChangesAsync();
        }
        await tx.CommitAsync();
        return owned == 1;
    }

    private async Task PruneIfDueAsync(CancellationToken ct)
    {
        var now = _clock.Now();
        if (now - _lastPrune < TimeSpan.FromHours(1)) return;
        _lastPrune = now;
        var cutoff = now.AddDays(-_options.RetentionDays);
        await using var db = await _contexts.CreateDbContextAsync(ct);
        await db.WebhookAttempts.Where(a => a.AttemptedAt < cutoff).ExecuteDeleteAsync(ct);
        await db.WebhookDeliveries.Where(d => d.Status != WebhookDeliveryStatus.Pending && d.CreatedAt < cutoff).ExecuteDeleteAsync(ct);
    }

    private static string Trim(string message) => message.Length <= 300 ? message : message[..300];
}

using ConnectLinks.Api;
using ConnectLinks.Data;
using ConnectLinks.Events;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Links;

/// <summary>How often the background sweep runs and how long old records are kept.</summary>
public sealed class SweepOptions
{
    public double IntervalSeconds { get; set; } = 30;
    public int BatchSize { get; set; } = 500;
    /// <summary>Events older than this many days are pruned.</summary>
    public int EventRetentionDays { get; set; } = 90;
}

/// <summary>
/// Marks links past <c>expires_at</c> as expired, each with its <c>link.expired</c> event in the same transaction,
/// and prunes old events and idempotency records. Safe on several instances: each row changes under a conditional
/// UPDATE, so a link another instance already swept is skipped, not expired twice.
/// </summary>
public sealed class LinkExpirySweeper(IDbContextFactory<AppDbContext> contexts, SweepOptions options, TimeProvider clock, ILogger<LinkExpirySweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.IntervalSeconds), clock);
        do
        {
            try
            {
                while (await SweepOnceAsync(stoppingToken) == options.BatchSize) { }
                await PruneAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Link expiry sweep failed; it will run again");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Expires one batch; returns how many links it looked at.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken ct)
    {
        var now = clock.Now();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var due = await db.Links.AsNoTracking()
            .Where(l => LinkStatus.Live.Contains(l.Status) && l.ExpiresAt <= now)
            .OrderBy(l => l.ExpiresAt).Take(options.BatchSize).ToListAsync(ct);
        if (due.Count == 0) return 0;
        await using var tx = await db.Database.BeginWriteAsync(ct);
        foreach (var link in due)
        {
            var changed = await db.Links
                .Where(l => l.Id == link.Id && l.Status == link.Status && l.ExpiresAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.Expired), ct);
            if (changed == 1)
            {
                link.Status = LinkStatus.Expired;
                db.Events.Add(EventLog.ForLink(link, EventTypes.LinkExpired, now, EventLog.Actor.System));
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return due.Count;
    }

    private async Task PruneAsync(CancellationToken ct)
    {
        var now = clock.Now();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var idempotencyCutoff = now - IdempotencyMiddleware.Lifetime;
        await db.IdempotencyRecords.Where(r => r.CreatedAt < idempotencyCutoff).ExecuteDeleteAsync(ct);
        var eventCutoff = now.AddDays(-options.EventRetentionDays);
        await db.Events.Where(e => e.CreatedAt < eventCutoff).ExecuteDeleteAsync(ct);
    }
}

using System.Runtime.CompilerServices;
using ConnectLinks.Operations.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace ConnectLinks.Events;

/// <summary>
/// Feeds the event and link-outcome counters of <c>/metrics</c> with events that have committed. An event saved
/// outside a transaction committed with SaveChanges; one saved inside a write transaction is held against that
/// transaction until <see cref="Data.WriteTransaction"/> commits it, and forgotten with it on a rollback.
/// </summary>
public static class CommittedEvents
{
    // Note: keyed by EF's transaction object, which is new for every begin (Npgsql recycles its own per connection).
    private static readonly ConditionalWeakTable<IDbContextTransaction, List<string>> Held = new();

    /// <summary>Call right after SaveChanges (or the group commit's inserts) wrote <paramref name="events"/>.</summary>
    public static void Saved(DbContext db, List<Event> events)
    {
        if (events.Count == 0 || MetricsOf(db) is not { } metrics) return;
        if (db.Database.CurrentTransaction is { } transaction)
            Held.GetOrCreateValue(transaction).AddRange(events.Select(e => e.Type));
        else
            metrics.EventsCommitted(events.Select(e => e.Type));
    }

    /// <summary>Call after <paramref name="transaction"/> committed.</summary>
    public static void Committed(DbContext db, IDbContextTransaction transaction)
    {
        if (!Held.TryGetValue(transaction, out var types)) return;
        Held.Remove(transaction);
        MetricsOf(db)?.EventsCommitted(types);
    }

    /// <summary>Call when <paramref name="transaction"/> ends; what it still holds was rolled back.</summary>
    public static void Ended(IDbContextTransaction transaction) => Held.Remove(transaction);

    private static ServiceMetrics? MetricsOf(DbContext db) => (db as Data.AppDbContext)?.ApplicationServices?.GetService<ServiceMetrics>();
}

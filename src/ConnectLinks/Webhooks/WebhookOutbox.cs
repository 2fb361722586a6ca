using System.Globalization;
using System.Text;
using System.Text.Json;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Links;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Webhooks;

/// <summary>
/// The transactional outbox. <see cref="AppDbContext"/> calls it on every SaveChanges: for each new event it adds one
/// delivery per subscribed, enabled endpoint of the event's organization, and one for the link's own
/// <c>webhook_url</c>. The deliveries commit in the same transaction as the event, which commits with the state
/// change, so no call site can forget a webhook and a crash cannot lose one.
/// </summary>
public static class WebhookOutbox
{
    /// <summary>Adds the deliveries for <paramref name="events"/> (from <see cref="NewEvents"/>); returns how many.</summary>
    public static async Task<int> AddDeliveriesAsync(AppDbContext db, List<Event> events, CancellationToken ct)
    {
        if (events.Count == 0) return 0;
        var orgs = events.Select(e => e.OrganizationId).Distinct().ToList();
        // Note: one query for every organization in the batch (a group commit holds hundreds of events); compiled,
        // since it runs on every commit that carries an event.
        var endpoints = new List<EndpointSubscription>();
        await foreach (var endpoint in EnabledEndpoints(db, orgs).WithCancellation(ct)) endpoints.Add(endpoint);
        var linkUrls = TrackedLinkUrls(db, events, out var unknownLinks);
        if (unknownLinks.Count > 0)
        {
            var found = await db.Links.AsNoTracking().Where(l => unknownLinks.Contains(l.Id) && l.WebhookUrl != null)
                .Select(l => new { l.Id, l.WebhookUrl }).ToListAsync(ct);
            foreach (var l in found) linkUrls[l.Id] = l.WebhookUrl!;
        }
        return Add(db, events, endpoints, linkUrls);
    }

    /// <summary>The synchronous twin of <see cref="AddDeliveriesAsync"/> for <c>SaveChanges()</c>.</summary>
    public static int AddDeliveries(AppDbContext db, List<Event> events)
    {
        if (events.Count == 0) return 0;
        var orgs = events.Select(e => e.OrganizationId).Distinct().ToList();
        var endpoints = db.WebhookEndpoints.AsNoTracking()
            .Where(w => orgs.Contains(w.OrganizationId) && w.Enabled)
            .Select(w => new EndpointSubscription(w.Id, w.OrganizationId, w.Events)).ToList();
        var linkUrls = TrackedLinkUrls(db, events, out var unknownLinks);
        if (unknownLinks.Count > 0)
            foreach (var l in db.Links.AsNoTracking().Where(l => unknownLinks.Contains(l.Id) && l.WebhookUrl != null).Select(l => new { l.Id, l.WebhookUrl }))
                linkUrls[l.Id] = l.WebhookUrl!;
        return Add(db, events, endpoints, linkUrls);
    }

    /// <summary>Wakes this process's dispatcher after a commit that added deliveries (other instances poll).</summary>
    public static void Wake(AppDbContext db) =>
        db.ApplicationServices?.GetService<WebhookSignal>()?.Wake(); // the CLI has no dispatcher, so no signal

    /// <summary>The request body of an event: <c>{type, timestamp, data}</c>, data being the event's own JSON.</summary>
    public static string PayloadOf(Event e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", e.Type);
            json.WriteString("timestamp", e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WritePropertyName("data");
            json.WriteRawValue(e.Data);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private sealed record EndpointSubscription(string Id, string OrganizationId, string[] Events);

    private static readonly Func<AppDbContext, List<string>, IAsyncEnumerable<EndpointSubscription>> EnabledEndpoints =
        EF.CompileAsyncQuery((AppDbContext db, List<string> orgs) => db.WebhookEndpoints.AsNoTracking()
            .Where(w => orgs.Contains(w.OrganizationId) && w.Enabled)
            .Select(w => new EndpointSubscription(w.Id, w.OrganizationId, w.Events)));

    /// <summary>The events this context is about to insert (<paramref name="all"/>), and those without deliveries yet.</summary>
    public static List<Event> NewEvents(AppDbContext db, out List<Event> all)
    {
        // Entries() runs change detection on every call: take the list once.
        var entries = db.ChangeTracker.Entries().ToList();
        // A SaveChanges retried on the same context must not queue an event twice.
        var queued = entries.Where(e => e.State == EntityState.Added && e.Entity is WebhookDelivery)
            .Select(e => ((WebhookDelivery)e.Entity).EventId).ToHashSet();
        all = [.. entries.Where(e => e.State == EntityState.Added && e.Entity is Event).Select(e => (Event)e.Entity)];
        return queued.Count == 0 ? all : all.Where(e => !queued.Contains(e.Id)).ToList();
    }

    private static Dictionary<string, string> TrackedLinkUrls(AppDbContext db, List<Event> events, out List<string> unknown)
    {
        var wanted = events.Where(e => e.LinkId is not null).Select(e => e.LinkId!).ToHashSet();
        var urls = new Dictionary<string, string>();
        var seen = new HashSet<string>();
        // Links created in this same batch are in the tracker already; only the others need a query.
        foreach (var entry in db.ChangeTracker.Entries<Link>())
        {
            if (!wanted.Contains(entry.Entity.Id)) continue;
            seen.Add(entry.Entity.Id);
            if (entry.Entity.WebhookUrl is { } url) urls[entry.Entity.Id] = url;
        }
        unknown = wanted.Where(id => !seen.Contains(id)).ToList();
        return urls;
    }

    private static int Add(AppDbContext db, List<Event> events, List<EndpointSubscription> endpoints, Dictionary<string, string> linkUrls)
    {
        var byOrg = endpoints.ToLookup(e => e.OrganizationId);
        var added = 0;
        foreach (var e in events)
        {
            string? payload = null;
            foreach (var endpoint in byOrg[e.OrganizationId])
            {
                if (!WebhookEndpoint.Subscribes(endpoint.Events, e.Type)) continue;
                db.Add(NewDelivery(e, payload ??= PayloadOf(e), endpoint.Id, null));
                added++;
            }
            if (e.LinkId is not null && linkUrls.TryGetValue(e.LinkId, out var url))
            {
                db.Add(NewDelivery(e, payload ??= PayloadOf(e), null, url));
                added++;
            }
        }
        return added;
    }

    private static WebhookDelivery NewDelivery(Event e, string payload, string? endpointId, string? url) => new()
    {
        Id = Ids.New("whd"),
        OrganizationId = e.OrganizationId,
        EventId = e.Id,
        EventType = e.Type,
        EndpointId = endpointId,
        Url = url,
        LinkId = e.LinkId,
        Payload = payload,
        Status = WebhookDeliveryStatus.Pending,
        NextAttemptAt = e.CreatedAt,
        CreatedAt = e.CreatedAt,
    };
}

/// <summary>An in-process nudge: a commit added deliveries, so the dispatcher should look now rather than at its next poll.</summary>
public sealed class WebhookSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Wakes the dispatcher (several wakes before it looks collapse into one).</summary>
    public void Wake()
    {
        try { _signal.Release(); }
        catch (SemaphoreFullException) { } // already signalled
    }

    /// <summary>Waits for a wake or the timeout; true when woken.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

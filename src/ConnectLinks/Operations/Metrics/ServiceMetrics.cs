using System.Diagnostics.Metrics;
using ConnectLinks.Events;

namespace ConnectLinks.Operations.Metrics;

/// <summary>
/// The service's own instruments (SPEC §10): link outcomes, events, connector check durations and webhook
/// deliveries. They are plain <see cref="System.Diagnostics.Metrics"/> instruments, so any listener can read them;
/// <see cref="PrometheusExporter"/> serves them at <c>/metrics</c>. Counters are per instance: sum them across
/// instances in the query.
/// </summary>
public sealed class ServiceMetrics
{
    public const string MeterName = "ConnectLinks";

    /// <summary>Event types that end a link's life, by the outcome label they get.</summary>
    private static readonly Dictionary<string, string> Outcomes = new()
    {
        [EventTypes.LinkCompleted] = "completed",
        [EventTypes.LinkExpired] = "expired",
        [EventTypes.LinkRevoked] = "revoked",
        [EventTypes.LinkLocked] = "locked",
    };

    private readonly Counter<long> _events;
    private readonly Counter<long> _linkOutcomes;
    private readonly Histogram<double> _checkDuration;
    private readonly Counter<long> _webhookAttempts;
    private readonly Histogram<double> _webhookLatency;

    public ServiceMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _events = meter.CreateCounter<long>("connectlinks.events", description: "Events committed, by type.");
        _linkOutcomes = meter.CreateCounter<long>("connectlinks.link.outcomes",
            description: "Links that reached an end state: completed, expired, revoked or locked.");
        _checkDuration = meter.CreateHistogram<double>("connectlinks.connector.check.duration", unit: "s",
            description: "Duration of each connection-test check, by connector, check and status.");
        _webhookAttempts = meter.CreateCounter<long>("connectlinks.webhook.attempts",
            description: "Webhook deliveries processed, by result: delivered, retrying (failed, will retry), failed (no retry left), disabled (endpoint off or 410).");
        _webhookLatency = meter.CreateHistogram<double>("connectlinks.webhook.delivery.latency", unit: "s",
            description: "From the event's commit to the receiver's 2xx answer, retries included.");
    }

    /// <summary>Counts events that have committed (call after the commit, never before).</summary>
    public void EventsCommitted(IEnumerable<string> types)
    {
        foreach (var type in types)
        {
            _events.Add(1, new KeyValuePair<string, object?>("type", type));
            if (Outcomes.TryGetValue(type, out var outcome)) _linkOutcomes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void CheckFinished(string connector, string check, string status, TimeSpan duration) =>
        _checkDuration.Record(duration.TotalSeconds,
            new("connector", connector), new("check", check), new("status", status));

    /// <summary>One finished attempt; <paramref name="sinceEvent"/> is set when it delivered.</summary>
    public void WebhookAttempt(string result, TimeSpan? sinceEvent)
    {
        _webhookAttempts.Add(1, new KeyValuePair<string, object?>("result", result));
        if (sinceEvent is { } latency) _webhookLatency.Record(Math.Max(0, latency.TotalSeconds));
    }
}

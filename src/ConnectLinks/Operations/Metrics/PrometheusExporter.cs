using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace ConnectLinks.Operations.Metrics;

/// <summary>A gauge computed at scrape time (from the database, say) rather than recorded by an instrument.</summary>
public sealed record ScrapeGauge(string Name, string Help, double Value);

/// <summary>
/// Listens to this application's meters (its own and ASP.NET Core's request metrics) and writes them in the
/// Prometheus text format. Written by hand: neither prometheus-net nor OpenTelemetry's Prometheus exporter restores
/// here, and the format is small. Only this application's <see cref="IMeterFactory"/> is listened to, so two hosts in
/// one process (the tests) do not see each other's numbers.
/// </summary>
/// <remarks>
/// Recording is on the request path: a measurement finds its series by label values without allocating and adds
/// with interlocked operations. Labels are route patterns and fixed names, never raw paths, so no token reaches it.
/// </remarks>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Seconds; from a fast API read (under 1 ms) to a slow connection test (30 s and more).</summary>
    private static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>ASP.NET Core's instruments that are exported, with the tags kept as labels (the rest are dropped).</summary>
    private static readonly Dictionary<string, string[]> AspNetCoreInstruments = new()
    {
        ["http.server.request.duration"] = ["http.request.method", "http.route", "http.response.status_code"],
        ["http.server.active_requests"] = [],
    };

    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<Instrument, Family> _families = new();

    public PrometheusExporter(IMeterFactory meters)
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (!ReferenceEquals(instrument.Meter.Scope, meters) || Describe(instrument) is not { } family) return;
                _families[instrument] = family;
                listener.EnableMeasurementEvents(instrument, family);
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Everything recorded so far, then <paramref name="gauges"/>, in the text exposition format 0.0.4.</summary>
    public string Render(IEnumerable<ScrapeGauge> gauges)
    {
        var text = new StringBuilder(4096);
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)) family.Write(text);
        foreach (var gauge in gauges)
        {
            text.Append("# HELP ").Append(gauge.Name).Append(' ').Append(gauge.Help).Append('\n');
            text.Append("# TYPE ").Append(gauge.Name).Append(" gauge\n");
            text.Append(gauge.Name).Append(' ').Append(Number(gauge.Value)).Append('\n');
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private static Family? Describe(Instrument instrument)
    {
        string[]? keep = null;
        if (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting")
        {
            if (!AspNetCoreInstruments.TryGetValue(instrument.Name, out keep)) return null;
        }
        else if (instrument.Meter.Name != ServiceMetrics.MeterName) return null;

        var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
        var help = instrument.Description ?? instrument.Name;
        return instrument switch
        {
            Histogram<double> => new Family(name, help, "histogram", keep),
            Counter<long> or Counter<int> or Counter<double> => new Family(name + "_total", help, "counter", keep),
            UpDownCounter<long> or UpDownCounter<int> => new Family(name, help, "gauge", keep),
            _ => null,
        };
    }

    /// <summary>Up to three label (name, value) pairs; value equality, so boxed status codes and strings match.</summary>
    private readonly record struct LabelSet(string? K0, object? V0, string? K1, object? V1, string? K2, object? V2);

    /// <summary>One metric: its series by label set.</summary>
    private sealed class Family(string name, string help, string type, string[]? keep)
    {
        private readonly ConcurrentDictionary<LabelSet, Series> _series = new();
        private readonly bool _histogram = type == "histogram";

        public string Name => name;

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            if (!_series.TryGetValue(labels, out var series))
                series = _series.GetOrAdd(labels, _ => new Series(_histogram ? Buckets.Length + 1 : 0));
            series.Add(value, _histogram ? Bucket(value) : -1);
        }

        private LabelSet Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Span<(string? Key, object? Value)> kept = [default, default, default];
            var n = 0;
            foreach (var tag in tags)
            {
                if (n == kept.Length) break;
                if (keep is null || Array.IndexOf(keep, tag.Key) >= 0) kept[n++] = (tag.Key, tag.Value);
            }
            return new LabelSet(kept[0].Key, kept[0].Value, kept[1].Key, kept[1].Value, kept[2].Key, kept[2].Value);
        }

        private static int Bucket(double value)
        {
            var i = 0;
            while (i < Buckets.Length && value > Buckets[i]) i++;
            return i; // Buckets.Length is the +Inf bucket
        }

        public void Write(StringBuilder text)
        {
            if (_series.IsEmpty) return;
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, series) in _series)
            {
                var l = LabelText(labels);
                if (!_histogram)
                {
                    text.Append(name).Append(Braces(l, null)).Append(' ').Append(Number(series.Sum)).Append('\n');
                    continue;
                }
                long cumulative = 0;
                for (var i = 0; i < Buckets.Length + 1; i++)
                {
                    cumulative += Interlocked.Read(ref series.Counts[i]);
                    var le = i < Buckets.Length ? Number(Buckets[i]) : "+Inf";
                    text.Append(name).Append("_bucket").Append(Braces(l, le)).Append(' ').Append(cumulative).Append('\n');
                }
                text.Append(name).Append("_sum").Append(Braces(l, null)).Append(' ').Append(Number(series.Sum)).Append('\n');
                text.Append(name).Append("_count").Append(Braces(l, null)).Append(' ').Append(cumulative).Append('\n');
            }
        }

        private static string LabelText(LabelSet s)
        {
            var parts = new List<string>(3);
            foreach (var (key, value) in new[] { (s.K0, s.V0), (s.K1, s.V1), (s.K2, s.V2) })
                if (key is not null) parts.Add($"{key.Replace('.', '_')}=\"{Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")}\"");
            return string.Join(",", parts);
        }

        private static string Braces(string labels, string? le) =>
            le is null ? (labels.Length == 0 ? "" : "{" + labels + "}")
            : "{" + labels + (labels.Length == 0 ? "" : ",") + "le=\"" + le + "\"}";

        private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
    }

    /// <summary>A counter's total, or a histogram's bucket counts and sum.</summary>
    private sealed class Series(int buckets)
    {
        public readonly long[] Counts = new long[buckets];
        private double _sum;

        public double Sum => Volatile.Read(ref _sum);

        public void Add(double value, int bucket)
        {
            if (bucket >= 0) Interlocked.Increment(ref Counts[bucket]);
            double seen, updated;
            do
            {
                seen = Volatile.Read(ref _sum);
                updated = seen + value;
            }
            while (Interlocked.CompareExchange(ref _sum, updated, seen) != seen);
        }
    }

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString("R", CultureInfo.InvariantCulture);
}

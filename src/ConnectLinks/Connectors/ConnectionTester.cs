using System.Text.RegularExpressions;
using ConnectLinks.Operations.Metrics;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Connectors;

/// <summary>
/// Runs a connector's connection test: validates the values, hands them to the protocol's
/// <see cref="IConnectorTester"/> under a whole-test deadline, and scrubs every secret value
/// out of the messages (servers sometimes echo what they were sent).
/// </summary>
public sealed class ConnectionTester(IEnumerable<IConnectorTester> testers, IOptions<ConnectorsOptions> options, ServiceMetrics metrics)
{
    private readonly Dictionary<string, IConnectorTester> _testers =
        testers.ToDictionary(t => t.Protocol, StringComparer.OrdinalIgnoreCase);

    /// <summary>Runs every check of <paramref name="connector"/> in order; never throws for a failing system.</summary>
    public async Task<ConnectionTestResult> TestAsync(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, CancellationToken ct)
    {
        var run = new ConnectorCheckRun(connector, options.Value.CheckTimeout);
        var secrets = SecretValues(connector, values);

        var errors = connector.Validate(values);
        if (errors.Count > 0)
        {
            run.FailFirstPending(
                "Some fields are not filled in correctly: " + string.Join(" ", errors.Values.SelectMany(m => m)),
                "Correct the highlighted fields and test again.");
        }
        else if (!_testers.TryGetValue(connector.Tester, out var tester))
        {
            run.FailFirstPending($"This service cannot test {connector.Name} connections.", null);
        }
        else
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(options.Value.TestTimeout);
            try
            {
                await tester.RunAsync(connector, connector.WithDefaults(values), run, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                run.FailFirstPending("Timed out: the connection test ran out of time.", null);
            }
        }
        ct.ThrowIfCancellationRequested();

        var checks = run.Results().Select(c => c with { Message = Scrub(c.Message, secrets), Hint = Scrub(c.Hint, secrets) }).ToList();
        // Fields that failed validation never reached the system: no check ran, so there is no duration to record.
        if (errors.Count == 0)
            foreach (var check in checks.Where(c => c.Status != CheckResult.Skipped))
                metrics.CheckFinished(connector.Id, check.Id, check.Status, TimeSpan.FromMilliseconds(check.DurationMs));
        return new ConnectionTestResult { Ok = !run.HasFailed, Checks = checks };
    }

    private static List<string> SecretValues(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values) =>
        [.. connector.Fields.Where(f => f.Secret)
            .Select(f => values.TryGetValue(f.Name, out var v) ? v : null)
            .Where(v => !string.IsNullOrEmpty(v))
            .Select(v => v!)
            // Longest first so a secret that contains another is replaced whole.
            .OrderByDescending(v => v.Length)];

    internal static string? Scrub(string? text, IReadOnlyList<string> secrets)
    {
        if (text is null)
        {
            return null;
        }
        foreach (var secret in secrets)
        {
            var trimmed = secret.Trim();
            if (trimmed.Length < 4)
            {
                // A very short secret is removed only where it stands alone: replacing every "s" in
                // "this service" would make the message unreadable without hiding anything more.
                text = Regex.Replace(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(trimmed)}(?![\p{{L}}\p{{N}}])", "[redacted]",
                    RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                continue;
            }
            text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
            // Servers may echo a trimmed or differently-cased copy.
            text = text.Replace(trimmed, "[redacted]", StringComparison.OrdinalIgnoreCase);
        }
        return text;
    }
}

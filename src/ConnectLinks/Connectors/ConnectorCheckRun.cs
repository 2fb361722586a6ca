using System.Diagnostics;
using System.Globalization;
using ConnectLinks.Security;

namespace ConnectLinks.Connectors;

/// <summary>What a check body reports when it did not simply pass.</summary>
public sealed record CheckOutcome(string Status, string? Message, string? Hint = null)
{
    public static CheckOutcome Pass(string? message = null) => new(CheckResult.Passed, message);
    public static CheckOutcome Warn(string message, string? hint = null) => new(CheckResult.Warning, message, hint);
    public static CheckOutcome Fail(string message, string? hint = null) => new(CheckResult.Failed, message, hint);
}

/// <summary>Thrown by a check body to fail the check with a plain-language message.</summary>
public sealed class CheckFailedException(string message, string? hint = null) : Exception(message)
{
    public string? Hint { get; } = hint;
}

/// <summary>
/// Records the checks of one connection test: times each one, enforces its timeout, turns
/// exceptions into plain-language failures and skips everything after the first failure.
/// </summary>
public sealed class ConnectorCheckRun
{
    private readonly ConnectorDefinition _connector;
    private readonly TimeSpan _checkTimeout;
    private readonly Dictionary<string, CheckResult> _results = [];

    internal ConnectorCheckRun(ConnectorDefinition connector, TimeSpan checkTimeout)
    {
        _connector = connector;
        _checkTimeout = checkTimeout;
    }

    /// <summary>True once a check failed; later checks are skipped.</summary>
    public bool HasFailed { get; private set; }

    /// <summary>
    /// Runs one check unless an earlier one failed. Returns true when it passed or warned.
    /// The body gets a token that fires at the check's timeout.
    /// </summary>
    public async Task<bool> CheckAsync(string id, Func<CancellationToken, Task<CheckOutcome>> body, CancellationToken ct)
    {
        var info = _connector.Checks.FirstOrDefault(c => c.Id == id)
            ?? throw new InvalidOperationException($"Connector '{_connector.Id}' declares no check '{id}'.");
        if (HasFailed || _results.ContainsKey(id))
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_checkTimeout);
        var watch = Stopwatch.StartNew();
        CheckOutcome outcome;
        try
        {
            // WaitAsync bounds the wait even if a client library ignores the token; the abandoned
            // task finishes on its own and its exception is observed below.
            var task = body(timeout.Token);
            try
            {
                outcome = await task.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _ = task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                throw;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            var what = ct.IsCancellationRequested ? "the connection test ran out of time" : $"no answer within {FormatSeconds(_checkTimeout)}";
            outcome = CheckOutcome.Fail($"Timed out: {what}.", "Check the host and port, and that a firewall allows connections from this service.");
        }
        catch (CheckFailedException e)
        {
            outcome = CheckOutcome.Fail(e.Message, e.Hint);
        }
        catch (NetworkTargetRefusedException e)
        {
            outcome = CheckOutcome.Fail(e.Message, "Use a publicly reachable address for the system.");
        }
        catch (Exception e)
        {
            // Unknown failures: the message is scrubbed of secrets by ConnectionTester.
            outcome = CheckOutcome.Fail(e.Message);
        }
        _results[id] = new CheckResult
        {
            Id = info.Id,
            Name = info.Name,
            Status = outcome.Status,
            Message = outcome.Message,
            Hint = outcome.Hint,
            DurationMs = watch.ElapsedMilliseconds,
        };
        HasFailed |= outcome.Status == CheckResult.Failed;
        return outcome.Status != CheckResult.Failed;
    }

    /// <summary>Every declared check in order; those never run are "skipped".</summary>
    internal List<CheckResult> Results() =>
        [.. _connector.Checks.Select(c => _results.TryGetValue(c.Id, out var r) ? r
            : new CheckResult { Id = c.Id, Name = c.Name, Status = CheckResult.Skipped })];

    /// <summary>Marks a check as deliberately not run, e.g. an optional write probe that is off.</summary>
    public void Skip(string id, string message)
    {
        var info = _connector.Checks.FirstOrDefault(c => c.Id == id)
            ?? throw new InvalidOperationException($"Connector '{_connector.Id}' declares no check '{id}'.");
        _results.TryAdd(id, new CheckResult { Id = info.Id, Name = info.Name, Status = CheckResult.Skipped, Message = message });
    }

    internal void FailFirstPending(string message, string? hint)
    {
        var next = _connector.Checks.FirstOrDefault(c => !_results.ContainsKey(c.Id));
        if (next is not null && !HasFailed)
        {
            _results[next.Id] = new CheckResult { Id = next.Id, Name = next.Name, Status = CheckResult.Failed, Message = message, Hint = hint };
            HasFailed = true;
        }
    }

    internal static string FormatSeconds(TimeSpan t) =>
        t.TotalSeconds.ToString(t.TotalSeconds < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " s";
}

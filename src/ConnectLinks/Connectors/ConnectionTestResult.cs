namespace ConnectLinks.Connectors;

/// <summary>The outcome of a connection test: every check of the connector, in order.</summary>
public sealed record ConnectionTestResult
{
    /// <summary>True when no check failed (warnings and optional checks left out still count as success).</summary>
    public required bool Ok { get; init; }
    public required IReadOnlyList<CheckResult> Checks { get; init; }
}

/// <summary>The result of one check. Messages are plain language and never contain a secret.</summary>
public sealed record CheckResult
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string Warning = "warning";

    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>passed, failed, skipped or warning.</summary>
    public required string Status { get; init; }
    /// <summary>What happened, e.g. "password authentication failed for user 'x'".</summary>
    public string? Message { get; init; }
    /// <summary>What to do next.</summary>
    public string? Hint { get; init; }
    public long DurationMs { get; init; }
}

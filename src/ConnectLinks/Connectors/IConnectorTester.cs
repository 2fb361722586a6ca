namespace ConnectLinks.Connectors;

/// <summary>
/// Runs the checks of one protocol (postgres, mysql, redis, s3, http). A real seam: one
/// implementation per protocol, picked by <see cref="ConnectorDefinition.Tester"/>.
/// </summary>
public interface IConnectorTester
{
    /// <summary>The protocol name definitions refer to in their <c>tester</c> property.</summary>
    string Protocol { get; }

    /// <summary>
    /// Runs the checks through <paramref name="run"/> in order. <paramref name="values"/> has every
    /// field with defaults applied. The runner records results, timeouts and skips.
    /// </summary>
    Task RunAsync(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, ConnectorCheckRun run, CancellationToken ct);
}

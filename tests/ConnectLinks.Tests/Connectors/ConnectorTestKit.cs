using System.Net;
using System.Net.Sockets;
using System.Diagnostics.Metrics;
using System.Text.Json;
using ConnectLinks.Connectors;
using ConnectLinks.Connectors.Testers;
using ConnectLinks.Operations.Metrics;
using ConnectLinks.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Tests.Connectors;

/// <summary>Builds the connector services directly (no web app) and reads the test servers' settings.</summary>
internal static class ConnectorTestKit
{
    public static readonly ConnectorCatalog Catalog = new(Options.Create(new ConnectorsOptions()));

    public static ConnectionTester Tester(bool allowPrivateTargets = true, TimeSpan? checkTimeout = null, Dictionary<string, string>? baseUrlOverrides = null, TimeSpan? testTimeout = null)
    {
        var guard = new NetworkGuard(Options.Create(new NetworkOptions { AllowPrivateTargets = allowPrivateTargets }));
        var options = Options.Create(new ConnectorsOptions
        {
            CheckTimeout = checkTimeout ?? TimeSpan.FromSeconds(10),
            TestTimeout = testTimeout ?? TimeSpan.FromSeconds(30),
            BaseUrlOverrides = baseUrlOverrides ?? [],
        });
        return new ConnectionTester(
            [new PostgresTester(guard), new MySqlTester(guard), new RedisTester(guard), new S3Tester(guard), new HttpApiTester(guard, options)],
            options, new ServiceMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>()));
    }

    public static ConnectorDefinition Connector(string id) => Catalog.Find(id) ?? throw new InvalidOperationException($"No connector '{id}' in the catalog.");

    /// <summary>
    /// A test server setting from scripts/servers/start.sh. Missing settings fail the test loudly,
    /// in CI and locally: a connector test that cannot reach its server must not pass or skip.
    /// </summary>
    public static string Env(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }
        var how = "run `scripts/servers/start.sh /tmp/servers.env && . /tmp/servers.env` before the tests";
        throw new InvalidOperationException(Environment.GetEnvironmentVariable("CI") is { Length: > 0 }
            ? $"{name} is not set in CI: the CI script must {how}."
            : $"{name} is not set: {how}.");
    }

    /// <summary>"id:status,…" for compact assertions that show every check when they fail.</summary>
    public static string Statuses(this ConnectionTestResult result) => string.Join(",", result.Checks.Select(c => $"{c.Id}:{c.Status}"));

    public static string Describe(this ConnectionTestResult result) =>
        string.Join("\n", result.Checks.Select(c => $"{c.Id}: {c.Status} — {c.Message} | {c.Hint}"));

    public static CheckResult Check(this ConnectionTestResult result, string id) => result.Checks.Single(c => c.Id == id);

    public static void ShouldNotContainSecret(this ConnectionTestResult result, string secret) =>
        JsonSerializer.Serialize(result).ShouldNotContain(secret, Case.Insensitive);

    /// <summary>A loopback port with nothing listening on it.</summary>
    public static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

using ConnectLinks.Connectors.Testers;
using ConnectLinks.Operations.Metrics;
using ConnectLinks.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Connectors;

public static class ConnectorsExtensions
{
    /// <summary>
    /// Registers the connector catalog, the connection tester with one <see cref="IConnectorTester"/>
    /// per protocol, and the network guard. Reads <c>ConnectLinks:Connectors</c> and <c>ConnectLinks:Network</c>.
    /// </summary>
    public static IServiceCollection AddConnectors(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ConnectorsOptions>(configuration.GetSection(ConnectorsOptions.Section));
        services.Configure<NetworkOptions>(configuration.GetSection(NetworkOptions.Section));
        services.AddSingleton<NetworkGuard>();
        // A factory: the catalog also has a constructor taking definitions directly (for tests).
        services.AddSingleton(sp => new ConnectorCatalog(sp.GetRequiredService<IOptions<ConnectorsOptions>>()));
        services.AddSingleton<IConnectorTester, PostgresTester>();
        services.AddSingleton<IConnectorTester, MySqlTester>();
        services.AddSingleton<IConnectorTester, RedisTester>();
        services.AddSingleton<IConnectorTester, S3Tester>();
        services.AddSingleton<IConnectorTester, HttpApiTester>();
        services.AddMetrics(); // check durations go to ServiceMetrics; the CLI has no /metrics but tests connections too
        services.TryAddSingleton<ServiceMetrics>();
        services.AddSingleton<ConnectionTester>();
        return services;
    }
}

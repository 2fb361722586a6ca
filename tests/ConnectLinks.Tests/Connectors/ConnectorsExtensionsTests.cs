using ConnectLinks.Connectors;
using ConnectLinks.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Tests.Connectors;

public class ConnectorsExtensionsTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddConnectors(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();

    [Fact]
    public void AddConnectorsRegistersTheCatalogTesterAndGuardAsSingletons()
    {
        using var services = Services([]);

        services.GetRequiredService<ConnectorCatalog>().Find("postgres").ShouldNotBeNull();
        services.GetRequiredService<ConnectionTester>().ShouldBeSameAs(services.GetRequiredService<ConnectionTester>());
        services.GetServices<IConnectorTester>().Select(t => t.Protocol).Order().ShouldBe(["http", "mysql", "postgres", "redis", "s3"]);
        services.GetRequiredService<IOptions<NetworkOptions>>().Value.AllowPrivateTargets.ShouldBeFalse();
    }

    [Fact]
    public void SettingsAreReadFromConfiguration()
    {
        using var services = Services(new()
        {
            ["ConnectLinks:Network:AllowPrivateTargets"] = "true",
            ["ConnectLinks:Connectors:CheckTimeout"] = "00:00:03",
            ["ConnectLinks:Connectors:TestTimeout"] = "00:00:20",
            ["ConnectLinks:Connectors:BaseUrlOverrides:hubspot"] = "http://127.0.0.1:1234",
        });

        services.GetRequiredService<IOptions<NetworkOptions>>().Value.AllowPrivateTargets.ShouldBeTrue();
        var options = services.GetRequiredService<IOptions<ConnectorsOptions>>().Value;
        options.CheckTimeout.ShouldBe(TimeSpan.FromSeconds(3));
        options.TestTimeout.ShouldBe(TimeSpan.FromSeconds(20));
        options.BaseUrlOverrides["hubspot"].ShouldBe("http://127.0.0.1:1234");
    }
}

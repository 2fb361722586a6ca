using System.Net;
using System.Net.Sockets;
using ConnectLinks.Connectors;
using ConnectLinks.Security;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Tests.Connectors;

public class NetworkGuardTests
{
    private static NetworkGuard Guard(bool allowPrivate) => new(Options.Create(new NetworkOptions { AllowPrivateTargets = allowPrivate }));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.5.6.7")]
    [InlineData("::1")]
    [InlineData("169.254.169.254")]
    [InlineData("fe80::1")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    public void PrivateLocalAndMetadataAddressesAreNotAllowed(string address) =>
        NetworkGuard.IsPrivateOrLocal(IPAddress.Parse(address)).ShouldBeTrue();

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void PublicAddressesAreAllowed(string address) =>
        NetworkGuard.IsPrivateOrLocal(IPAddress.Parse(address)).ShouldBeFalse();

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[::1]", "::1")]
    [InlineData("169.254.169.254", "169.254.169.254")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("localhost", null)]
    public async Task DefaultGuardRefusesLocalTargetsWithAPlainReason(string host, string? shown)
    {
        var refused = await Should.ThrowAsync<NetworkTargetRefusedException>(() => Guard(allowPrivate: false).ResolveAsync(host, CancellationToken.None));
        refused.Message.ShouldEndWith("is a private or local address; this service is not allowed to connect to it.");
        if (shown is not null)
        {
            refused.Message.ShouldStartWith(shown + " ");
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("[::1]")]
    [InlineData("169.254.169.254")]
    [InlineData("10.0.0.1")]
    [InlineData("localhost")]
    public async Task AllowPrivateTargetsLetsLocalTargetsThrough(string host)
    {
        var address = await Guard(allowPrivate: true).ResolveAsync(host, CancellationToken.None);
        NetworkGuard.IsPrivateOrLocal(address).ShouldBeTrue();
    }

    [Fact]
    public async Task UnknownHostIsReportedAsNotFound()
    {
        var e = await Should.ThrowAsync<HostNotFoundException>(() => Guard(allowPrivate: false).ResolveAsync("no-such-host.invalid", CancellationToken.None));
        e.Message.ShouldContain("no-such-host.invalid");
    }

    [Theory]
    [InlineData("postgres", "127.0.0.1")]
    [InlineData("postgres", "localhost")]
    [InlineData("mysql", "127.0.0.1")]
    [InlineData("redis", "localhost")]
    [InlineData("redis", "127.0.0.1")]
    [InlineData("s3", "127.0.0.1")]
    [InlineData("http-bearer", "127.0.0.1")]
    [InlineData("http-bearer", "localhost")]
    public async Task ConnectionTestToLoopbackIsRefusedBeforeAnyPacketIsSent(string connectorId, string host)
    {
        // A listener that would see any connection attempt the guard let through.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var values = connectorId switch
        {
            "s3" => new Dictionary<string, string?> { ["access_key_id"] = "AKIA", ["secret_access_key"] = "s", ["bucket"] = "b", ["endpoint_url"] = $"http://{host}:{port}" },
            "http-bearer" => new Dictionary<string, string?> { ["base_url"] = $"http://{host}:{port}", ["token"] = "t0ken" },
            "redis" => new Dictionary<string, string?> { ["host"] = host, ["port"] = port.ToString(), ["password"] = "pw" },
            _ => new Dictionary<string, string?> { ["host"] = host, ["port"] = port.ToString(), ["database"] = "d", ["username"] = "u", ["password"] = "pw" },
        };

        var result = await ConnectorTestKit.Tester(allowPrivateTargets: false).TestAsync(ConnectorTestKit.Connector(connectorId), values, CancellationToken.None);

        result.Ok.ShouldBeFalse();
        var failed = result.Checks.Single(c => c.Status == CheckResult.Failed);
        failed.ShouldBe(result.Checks[0], result.Describe());
        failed.Message.ShouldBe("127.0.0.1 is a private or local address; this service is not allowed to connect to it.");
        result.Checks.Skip(1).ShouldAllBe(c => c.Status == CheckResult.Skipped);
        listener.Pending().ShouldBeFalse("the guard let a connection through to the listener");
    }

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("10.0.0.1")]
    [InlineData("[::1]")]
    public async Task ConnectionTestToMetadataAndPrivateAddressesIsRefusedImmediately(string host)
    {
        var started = DateTime.UtcNow;
        var result = await ConnectorTestKit.Tester(allowPrivateTargets: false).TestAsync(
            ConnectorTestKit.Connector("http-bearer"),
            new Dictionary<string, string?> { ["base_url"] = $"http://{host}/latest/meta-data/", ["token"] = "t0ken" },
            CancellationToken.None);

        result.Statuses().ShouldBe("host:failed,request:skipped");
        result.Check("host").Message.ShouldBe($"{host.Trim('[', ']')} is a private or local address; this service is not allowed to connect to it.");
        // Refused before connecting: an attempt to an unroutable private address would take seconds.
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(2));
    }
}

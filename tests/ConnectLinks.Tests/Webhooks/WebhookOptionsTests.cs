using ConnectLinks.Webhooks;
using Microsoft.Extensions.Configuration;

namespace ConnectLinks.Tests.Webhooks;

public sealed class WebhookOptionsTests
{
    private static WebhookOptions Read(Dictionary<string, string?> values) =>
        WebhookOptions.From(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void TheDefaultRetryScheduleIsTheSpecOne() =>
        Read([]).RetrySchedule.ShouldBe([TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
            TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(24)]);

    [Fact]
    public void AConfiguredRetryScheduleReplacesTheDefaultInsteadOfAppending()
    {
        Read(new() { ["ConnectLinks:Webhooks:RetrySchedule:0"] = "00:00:01", ["ConnectLinks:Webhooks:RetrySchedule:1"] = "00:00:02" })
            .RetrySchedule.ShouldBe([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)]);
        var options = Read(new() { ["ConnectLinks:Webhooks:RetrySchedule"] = "00:00:03, 00:01:00", ["ConnectLinks:Webhooks:TimeoutSeconds"] = "4" });
        options.RetrySchedule.ShouldBe([TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(1)]);
        options.TimeoutSeconds.ShouldBe(4);
    }

    [Fact]
    public void PrivateAndLoopbackAddressesAreForbiddenAndPublicOnesAllowed()
    {
        foreach (var ip in new[] { "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1" })
            WebhookAddressGuard.IsForbidden(System.Net.IPAddress.Parse(ip)).ShouldBeTrue(ip);
        foreach (var ip in new[] { "93.184.216.34", "8.8.8.8", "2606:4700::1111" })
            WebhookAddressGuard.IsForbidden(System.Net.IPAddress.Parse(ip)).ShouldBeFalse(ip);
    }
}

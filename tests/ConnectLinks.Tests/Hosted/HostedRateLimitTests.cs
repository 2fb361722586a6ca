namespace ConnectLinks.Tests.Hosted;

public sealed class HostedRateLimitTests
{
    [Fact]
    public async Task OneTokenIsLimitedWhateverTheClient()
    {
        using var app = new ConnectLinksApp(new() { ["ConnectLinks:RateLimits:HostedPermitsPerMinutePerToken"] = "3" });
        var link = await (await app.ClientForAsync()).CreateLinkAsync();
        var path = new Uri(link.Str("url")).AbsolutePath;
        for (var i = 0; i < 3; i++) (await app.CreateClient().GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var limited = await app.CreateClient().GetAsync(path);
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        int.Parse(limited.Headers.GetValues("Retry-After").Single()).ShouldBeGreaterThan(0);
        (await limited.Content.ReadAsStringAsync()).ShouldContain("wait");

        // Another link is not affected.
        var other = await (await app.ClientForAsync()).CreateLinkAsync();
        (await app.CreateClient().GetAsync(new Uri(other.Str("url")).AbsolutePath)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task OneClientIsLimitedAcrossTokensSoGuessingIsSlow()
    {
        using var app = new ConnectLinksApp(new() { ["ConnectLinks:RateLimits:HostedPermitsPerMinutePerIp"] = "5" });
        var client = app.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
            statuses.Add((await client.GetAsync("/connect/cl_" + new string((char)('a' + i), 43))).StatusCode);
        statuses.Take(5).ShouldAllBe(s => s == HttpStatusCode.NotFound);
        statuses[5].ShouldBe(HttpStatusCode.TooManyRequests);
        // The API is not the hosted pages: its own per-key limit applies there.
        (await (await app.ClientForAsync()).GetAsync("/v1/links")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

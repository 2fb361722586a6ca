using System.Diagnostics;
using System.Net.Http.Headers;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Tests.Api;

public sealed class AuthenticationTests : IDisposable
{
    private readonly ConnectLinksApp _app = new();

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Basic dXNlcjpwdw==")]
    [InlineData("Bearer clk_short")]
    [InlineData("Bearer clk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("Bearer cl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task AMissingOrMalformedOrUnknownKeyIs401(string? header)
    {
        await _app.CreateKeyAsync();
        var client = _app.CreateClient();
        if (header is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        foreach (var response in new[] { await client.GetAsync("/v1/links"), await client.PostAsJsonAsync("/v1/links", new { owner = new { id = "x" } }), await client.GetAsync("/v1/settings") })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            var problem = await response.ReadJsonAsync();
            problem.Str("code").ShouldBe("unauthorized");
        }
        await using var db = _app.Db();
        db.Links.Count().ShouldBe(0);
    }

    [Fact]
    public async Task AKeyWithoutTheScopeIs403()
    {
        var reader = await _app.ClientForAsync(scopes: [Scopes.LinksRead]);
        var response = await reader.PostAsJsonAsync("/v1/links", new { owner = new { id = "x" } });
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.ReadJsonAsync()).Str("code").ShouldBe("forbidden");
        (await reader.PatchAsJsonAsync("/v1/settings", new { default_link_ttl = 600 })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await reader.GetAsync("/v1/links")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var writer = await _app.ClientForAsync(scopes: [Scopes.LinksWrite]);
        (await writer.GetAsync("/v1/links")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await writer.PostAsJsonAsync("/v1/links", new { owner = new { id = "x" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task ARevokedKeyStopsWorkingWithinFiveSeconds()
    {
        var key = await _app.CreateKeyAsync();
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        (await client.GetAsync("/v1/links")).StatusCode.ShouldBe(HttpStatusCode.OK); // now cached

        // Revoked behind this instance's back, as another instance or the CLI would.
        await using (var db = _app.Db())
            await db.ApiKeys.Where(k => k.Hash == OpaqueToken.Hash(key)).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UtcNow));
        var watch = Stopwatch.StartNew();
        while ((await client.GetAsync("/v1/links")).StatusCode == HttpStatusCode.OK)
        {
            watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5), "a revoked key must stop working within 5 s");
            await Task.Delay(100);
        }
        (await client.GetAsync("/v1/links")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task KeysAreStoredOnlyAsHashes()
    {
        var key = await _app.CreateKeyAsync();
        await using var db = _app.Db();
        var row = await db.ApiKeys.SingleAsync();
        row.Hash.ShouldBe(OpaqueToken.Hash(key));
        row.Hint.Length.ShouldBeLessThan(10);
        key.ShouldStartWith("clk_");
        key.Length.ShouldBe(47);
    }
}

public sealed class RateLimitTests : IDisposable
{
    private readonly ConnectLinksApp _app = new(new()
    {
        ["ConnectLinks:RateLimits:ApiPermitsPerSecond"] = "1",
        ["ConnectLinks:RateLimits:ApiBurst"] = "3",
    });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task AClientOverItsKeysLimitGets429WithRetryAfter()
    {
        var client = await _app.ClientForAsync();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await client.GetAsync("/v1/links");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
        }
        limited.ShouldNotBeNull($"statuses: {string.Join(",", statuses)}");
        statuses.Count(s => s == HttpStatusCode.OK).ShouldBeGreaterThanOrEqualTo(3);
        int.Parse(limited.Headers.GetValues("Retry-After").Single()).ShouldBeGreaterThanOrEqualTo(1);
        (await limited.ReadJsonAsync()).Str("code").ShouldBe("rate_limited");

        // The limit is per key: another key of the same organization is not throttled.
        var other = await _app.ClientForAsync();
        (await other.GetAsync("/v1/links")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

using ConnectLinks.Links;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Tests.Links;

/// <summary>Regenerate, revoke and extend are conditional updates: racing calls leave one consistent state.</summary>
public sealed class LinkConcurrencyTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _app.ClientForAsync();
    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    [Fact]
    public async Task FiftyConcurrentRegeneratesLeaveExactlyOneWorkingToken()
    {
        var id = (await _client.CreateLinkAsync()).Str("id");
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _client.PostAsync($"/v1/links/{id}/regenerate", null)));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var tokens = await Task.WhenAll(responses.Select(async r => (await r.ReadJsonAsync()).Str("token")));
        tokens.Distinct().Count().ShouldBe(50);

        await using var db = _app.Db();
        var stored = await db.Links.AsNoTracking().SingleAsync(l => l.Id == id);
        tokens.Count(t => OpaqueToken.Hash(t) == stored.TokenHash).ShouldBe(1);
        stored.Status.ShouldBe(LinkStatus.Waiting);
        (await db.Events.CountAsync(e => e.LinkId == id && e.Type == "link.regenerated")).ShouldBe(50);
    }

    [Fact]
    public async Task RevokeRacingRegenerateEndsRevokedOrWithOneWorkingTokenNeverBoth()
    {
        for (var round = 0; round < 10; round++)
        {
            var id = (await _client.CreateLinkAsync()).Str("id");
            var regenerate = _client.PostAsync($"/v1/links/{id}/regenerate", null);
            var revoke = _client.DeleteAsync($"/v1/links/{id}");
            var results = await Task.WhenAll(regenerate, revoke);
            results.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
            var token = (await results[0].ReadJsonAsync()).Str("token");

            await using var db = _app.Db();
            var stored = await db.Links.AsNoTracking().SingleAsync(l => l.Id == id);
            if (stored.Status == LinkStatus.Revoked)
                stored.RevokedAt.ShouldNotBeNull(); // revoked: no token works, whatever the regenerate returned
            else
            {
                stored.Status.ShouldBe(LinkStatus.Waiting);
                stored.RevokedAt.ShouldBeNull();
                stored.TokenHash.ShouldBe(OpaqueToken.Hash(token));
            }
        }
    }

    [Fact]
    public async Task ConcurrentCreatesAllLandWithTheirEvents()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            _client.PostAsJsonAsync("/v1/links", new { owner = new { id = $"cust_{i}" } })));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        await using var db = _app.Db();
        (await db.Links.CountAsync()).ShouldBe(100);
        (await db.Events.CountAsync(e => e.Type == "link.created")).ShouldBe(100);
    }
}

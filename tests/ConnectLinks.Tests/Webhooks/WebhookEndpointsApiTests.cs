using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ConnectLinks.Security;

namespace ConnectLinks.Tests.Webhooks;

public sealed class WebhookEndpointsApiTests
{
    [Fact]
    public async Task CreatingAnEndpointShowsTheSecretOnceAndReadsNeverShowIt()
    {
        await using var app = await WebhookTestApp.StartAsync();
        var created = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://hooks.example.com/in", events = new[] { "link.created" }, description = "crm" });
        var id = created["id"]!.GetValue<string>();
        id.ShouldStartWith("whe_");
        var secret = created["secret"]!.GetValue<string>();
        secret.ShouldStartWith("whsec_");
        Convert.FromBase64String(secret["whsec_".Length..]).Length.ShouldBe(32);
        created["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["link.created"]);
        created["enabled"]!.GetValue<bool>().ShouldBeTrue();

        var one = await app.Api.GetOkAsync($"/v1/webhook-endpoints/{id}");
        one.ContainsKey("secret").ShouldBeFalse();
        one["description"]!.GetValue<string>().ShouldBe("crm");
        var list = await app.Api.GetOkAsync("/v1/webhook-endpoints");
        list["data"]!.AsArray().Count.ShouldBe(1);
        list.ToJsonString().ShouldNotContain(secret);
    }

    [Fact]
    public async Task EmptyOrStarEventsSubscribeToEverything()
    {
        await using var app = await WebhookTestApp.StartAsync();
        var empty = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/", events = Array.Empty<string>() });
        empty["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["*"]);
        var none = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/" });
        none["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["*"]);
    }

    [Fact]
    public async Task UnknownEventTypesAndBadUrlsAreRefusedNamingTheField()
    {
        await using var app = await WebhookTestApp.StartAsync(settings: new()
        {
            ["ConnectLinks:Webhooks:AllowHttpLoopback"] = "false",
            ["ConnectLinks:Network:AllowPrivateTargets"] = "false",
        });
        var badEvent = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/", events = new[] { "link.created", "link.exploded" } }, 400);
        badEvent["errors"]!["events"]![0]!.GetValue<string>().ShouldContain("link.exploded");

        foreach (var url in new[] { "http://hooks.example.com/", "http://127.0.0.1:9/", "ftp://example.com/", "https://user:pw@example.com/", "not a url" })
        {
            var refused = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url }, 400);
            refused["errors"]!.AsObject().ContainsKey("url").ShouldBeTrue(url);
        }
        var missing = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { events = new[] { "*" } }, 400);
        missing["errors"]!.AsObject().ContainsKey("url").ShouldBeTrue();
        var unknownField = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/", secret = "mine" }, 400);
        unknownField["errors"]!.AsObject().ContainsKey("secret").ShouldBeTrue();
    }

    [Fact]
    public async Task HttpOnLoopbackIsAllowedOnlyWhenConfigured()
    {
        await using var app = await WebhookTestApp.StartAsync(settings: new()
        {
            ["ConnectLinks:Webhooks:AllowHttpLoopback"] = "true",
            ["ConnectLinks:Network:AllowPrivateTargets"] = "false",
        });
        await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "http://127.0.0.1:9/hook" });
        await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "http://10.0.0.1/hook" }, 400);
    }

    [Fact]
    public async Task AnotherOrganizationsEndpointIsNotFound()
    {
        await using var app = await WebhookTestApp.StartAsync();
        var id = (await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/" }))["id"]!.GetValue<string>();
        using var other = await app.ClientForAsync("globex");

        (await other.GetAsync($"/v1/webhook-endpoints/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PatchAsJsonAsync($"/v1/webhook-endpoints/{id}", new { enabled = false })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.PostAsync($"/v1/webhook-endpoints/{id}/rotate-secret", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetAsync($"/v1/webhook-endpoints/{id}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.DeleteAsync($"/v1/webhook-endpoints/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.GetOkAsync("/v1/webhook-endpoints"))["data"]!.AsArray().Count.ShouldBe(0);
        (await app.Api.GetAsync($"/v1/webhook-endpoints/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Api.GetAsync("/v1/webhook-endpoints/whe_nonsense")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AKeyWithoutTheWebhooksScopeIsForbidden()
    {
        await using var app = await WebhookTestApp.StartAsync();
        using var readOnly = await app.ClientForAsync("acme", [Scopes.LinksRead]);
        (await readOnly.GetAsync("/v1/webhook-endpoints")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await readOnly.PostAsJsonAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        using var anonymous = app.Factory.CreateClient();
        (await anonymous.GetAsync("/v1/webhook-endpoints")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/v1/deliveries/whd_x/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task PatchChangesOnlyTheFieldsSentAndDeleteRemovesTheEndpoint()
    {
        await using var app = await WebhookTestApp.StartAsync();
        var id = (await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/", description = "first" }))["id"]!.GetValue<string>();

        using var patched = await app.Api.PatchAsJsonAsync($"/v1/webhook-endpoints/{id}", new { events = new[] { "link.revoked" }, enabled = false });
        patched.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await patched.ReadObjectAsync();
        body["enabled"]!.GetValue<bool>().ShouldBeFalse();
        body["description"]!.GetValue<string>().ShouldBe("first");
        body["url"]!.GetValue<string>().ShouldBe("https://a.example.com/");
        body["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["link.revoked"]);

        using var badPatch = await app.Api.PatchAsJsonAsync($"/v1/webhook-endpoints/{id}", new { url = "http://example.com/" });
        badPatch.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await app.Api.DeleteAsync($"/v1/webhook-endpoints/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await app.Api.GetAsync($"/v1/webhook-endpoints/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await app.Api.DeleteAsync($"/v1/webhook-endpoints/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RotatingTheSecretReturnsANewOneAndKeepsTheOldOneFor24Hours()
    {
        await using var app = await WebhookTestApp.StartAsync();
        var created = await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://a.example.com/" });
        var id = created["id"]!.GetValue<string>();
        var rotated = await app.Api.PostOkAsync($"/v1/webhook-endpoints/{id}/rotate-secret", new { }, 200);
        rotated["secret"]!.GetValue<string>().ShouldStartWith("whsec_");
        rotated["secret"]!.GetValue<string>().ShouldNotBe(created["secret"]!.GetValue<string>());
        var until = DateTimeOffset.Parse(rotated["previous_secret_expires_at"]!.GetValue<string>());
        (until - DateTimeOffset.UtcNow).ShouldBeInRange(TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
    }

    [Fact]
    public async Task EndpointListPagesWithACursor()
    {
        await using var app = await WebhookTestApp.StartAsync();
        for (var i = 0; i < 3; i++) await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = $"https://a{i}.example.com/" });
        var first = await app.Api.GetOkAsync("/v1/webhook-endpoints?limit=2");
        first["data"]!.AsArray().Count.ShouldBe(2);
        first["has_more"]!.GetValue<bool>().ShouldBeTrue();
        var second = await app.Api.GetOkAsync($"/v1/webhook-endpoints?limit=2&cursor={first["next_cursor"]!.GetValue<string>()}");
        second["data"]!.AsArray().Count.ShouldBe(1);
        second["has_more"]!.GetValue<bool>().ShouldBeFalse();
    }
}

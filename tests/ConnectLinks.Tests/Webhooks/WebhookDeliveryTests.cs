using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ConnectLinks.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace ConnectLinks.Tests.Webhooks;

public sealed class WebhookDeliveryTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    private static async Task<(string Id, string Secret)> AddEndpointAsync(HttpClient api, string url, params string[] events)
    {
        var created = await api.PostOkAsync("/v1/webhook-endpoints", new { url, events });
        return (created["id"]!.GetValue<string>(), created["secret"]!.GetValue<string>());
    }

    private static async Task<string> CreateLinkAsync(HttpClient api, string? webhookUrl = null, long? expiresIn = null)
    {
        object body = webhookUrl is null
            ? new { owner = new { id = "cust-1" }, expires_in = expiresIn ?? 3600 }
            : new { owner = new { id = "cust-1" }, expires_in = expiresIn ?? 3600, webhook_url = webhookUrl };
        return (await api.PostOkAsync("/v1/links", body))["id"]!.GetValue<string>();
    }

    private static JsonObject BodyOf(CapturedWebhook w) => JsonNode.Parse(w.Body)!.AsObject();

    private static bool IsFor(CapturedWebhook w, string type, string linkId)
    {
        var body = BodyOf(w);
        return body["type"]!.GetValue<string>() == type && body["data"]!["link_id"]!.GetValue<string>() == linkId;
    }

    private static async Task<JsonObject> OnlyDeliveryAsync(HttpClient api, string endpointId)
    {
        var page = await api.GetOkAsync($"/v1/webhook-endpoints/{endpointId}/deliveries");
        page["data"]!.AsArray().Count.ShouldBe(1);
        return page["data"]![0]!.AsObject();
    }

    private static async Task<JsonObject> WaitForDeliveryAsync(HttpClient api, string endpointId, Func<JsonObject, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Soon;
        while (true)
        {
            var page = await api.GetOkAsync($"/v1/webhook-endpoints/{endpointId}/deliveries");
            if (page["data"]!.AsArray().Select(d => d!.AsObject()).FirstOrDefault(condition) is { } found) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No delivery became {what}: {page.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task DeliveriesVerifyWithTheOfficialStandardWebhooksLibraryBeforeAndAfterARotation()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync();
        var (endpointId, oldSecret) = await AddEndpointAsync(app.Api, receiver.Url);

        var firstLink = await CreateLinkAsync(app.Api);
        var first = await receiver.WaitForAsync(w => IsFor(w, "link.created", firstLink), Soon, "link.created");
        first.Id.ShouldStartWith("evt_");
        first.Signature.Split(' ').Length.ShouldBe(1);
        (await Verifier.VerifyAsync(oldSecret, first)).Verified.ShouldBeTrue();
        // The verifier really checks: another secret fails.
        (await Verifier.VerifyAsync("whsec_" + Convert.ToBase64String(new byte[32]), first)).Verified.ShouldBeFalse();

        var newSecret = (await app.Api.PostOkAsync($"/v1/webhook-endpoints/{endpointId}/rotate-secret", new { }, 200))["secret"]!.GetValue<string>();
        var secondLink = await CreateLinkAsync(app.Api);
        var second = await receiver.WaitForAsync(w => IsFor(w, "link.created", secondLink), Soon, "link.created after rotation");
        second.Signature.Split(' ').Length.ShouldBe(2);
        (await Verifier.VerifyAsync(newSecret, second)).Verified.ShouldBeTrue();
        (await Verifier.VerifyAsync(oldSecret, second)).Verified.ShouldBeTrue(); // receivers not yet updated keep working for 24 h

        var payload = BodyOf(second);
        payload.Select(p => p.Key).ShouldBe(["type", "timestamp", "data"]);
        payload["data"]!["status"]!.GetValue<string>().ShouldBe("waiting");
        second.Headers["content-type"].ShouldStartWith("application/json");
        WebhookSignature.Verify(newSecret, second.Id, second.Headers["webhook-timestamp"], second.Body, second.Signature, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))
            .ShouldBeTrue();
    }

    [Fact]
    public async Task EveryLinkEventTheApiWritesIsDeliveredWithTheEventIdAsWebhookId()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync(clock, new() { ["ConnectLinks:Sweep:IntervalSeconds"] = "0.2" });
        await AddEndpointAsync(app.Api, receiver.Url, "*");

        var link = await CreateLinkAsync(app.Api);
        await app.Api.PostOkAsync($"/v1/links/{link}/regenerate", new { }, 200);
        await app.Api.PostOkAsync($"/v1/links/{link}/extend", new { expires_in = 7200 }, 200);
        (await app.Api.DeleteAsync($"/v1/links/{link}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var expiring = await CreateLinkAsync(app.Api, expiresIn: 300);
        clock.Advance(TimeSpan.FromSeconds(301));

        foreach (var type in new[] { "link.created", "link.regenerated", "link.extended", "link.revoked" })
            await receiver.WaitForAsync(w => IsFor(w, type, link), Soon, type);
        await receiver.WaitForAsync(w => IsFor(w, "link.expired", expiring), Soon, "link.expired");

        var feed = await app.Api.GetOkAsync("/v1/events?limit=100");
        var eventIds = feed["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToHashSet();
        eventIds.Count.ShouldBe(6); // created ×2, regenerated, extended, revoked, expired
        await receiver.WaitUntilAsync(r => eventIds.IsSubsetOf(r.Select(w => w.Id)), Soon, "every event");
        receiver.Requests.Select(w => w.Id).ShouldAllBe(id => eventIds.Contains(id));
    }

    [Fact]
    public async Task ALinksOwnWebhookUrlGetsItsEventsSignedWithTheOrganizationSecret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync();
        var link = await CreateLinkAsync(app.Api, webhookUrl: receiver.Url + "/per-link");
        var delivered = await receiver.WaitForAsync(w => IsFor(w, "link.created", link), Soon, "per-link link.created");
        var secret = (await app.Api.GetOkAsync("/v1/settings/webhook-secret"))["secret"]!.GetValue<string>();
        (await Verifier.VerifyAsync(secret, delivered)).Verified.ShouldBeTrue();
        // Another link without webhook_url, and no endpoint: nothing more is sent.
        await CreateLinkAsync(app.Api);
        await Task.Delay(500);
        receiver.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task AnEndpointGetsOnlyTheTypesItSubscribedTo()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync();
        await AddEndpointAsync(app.Api, receiver.Url, "link.revoked");
        var link = await CreateLinkAsync(app.Api);
        (await app.Api.DeleteAsync($"/v1/links/{link}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await receiver.WaitForAsync(w => IsFor(w, "link.revoked", link), Soon, "link.revoked");
        await Task.Delay(300);
        receiver.Requests.Select(w => BodyOf(w)["type"]!.GetValue<string>()).ShouldBe(["link.revoked"]);
    }

    [Fact]
    public async Task FailedDeliveriesAreRetriedOnTheScheduleThenMarkedFailed()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.FromResult(500);
        await using var app = await WebhookTestApp.StartAsync(clock);
        var (endpointId, _) = await AddEndpointAsync(app.Api, receiver.Url, "link.created");
        await CreateLinkAsync(app.Api);

        var schedule = new WebhookOptions().RetrySchedule;
        for (var attempt = 1; attempt <= schedule.Length + 1; attempt++)
        {
            var expected = attempt;
            var delivery = await WaitForDeliveryAsync(app.Api, endpointId, d => d["attempt_count"]!.GetValue<int>() == expected, $"attempted {expected} time(s)");
            receiver.Requests.Count.ShouldBe(attempt);
            delivery["last_status_code"]!.GetValue<int>().ShouldBe(500);
            if (attempt <= schedule.Length)
            {
                delivery["status"]!.GetValue<string>().ShouldBe("pending");
                var last = DateTimeOffset.Parse(delivery["last_attempt_at"]!.GetValue<string>());
                var next = DateTimeOffset.Parse(delivery["next_attempt_at"]!.GetValue<string>());
                (next - last).ShouldBe(schedule[attempt - 1]);
                // Not before its time: a little short of the wait, nothing is sent.
                clock.Advance(schedule[attempt - 1] - TimeSpan.FromSeconds(1));
                await Task.Delay(300);
                receiver.Requests.Count.ShouldBe(attempt);
                clock.Advance(TimeSpan.FromSeconds(1));
            }
            else
            {
                delivery["status"]!.GetValue<string>().ShouldBe("failed");
                delivery["next_attempt_at"].ShouldBeNull();
                var attempts = delivery["attempts"]!.AsArray();
                attempts.Count.ShouldBe(schedule.Length + 1);
                attempts.ShouldAllBe(a => a!["status_code"]!.GetValue<int>() == 500 && a["error"]!.GetValue<string>() == "HTTP 500");
                attempts[^1]!["next_attempt_at"].ShouldBeNull();
            }
        }
        // Every attempt carried the same webhook-id and body.
        receiver.Requests.Select(w => w.Id).Distinct().Count().ShouldBe(1);
        receiver.Requests.Select(w => w.Body).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task GoneDisablesTheEndpointUntilThePartnerEnablesItAndRetries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, _) => Task.FromResult(410);
        await using var app = await WebhookTestApp.StartAsync();
        var (endpointId, _) = await AddEndpointAsync(app.Api, receiver.Url, "link.created");
        await CreateLinkAsync(app.Api);

        var disabled = await WaitForDeliveryAsync(app.Api, endpointId, d => d["status"]!.GetValue<string>() == "disabled", "disabled");
        disabled["last_status_code"]!.GetValue<int>().ShouldBe(410);
        var endpoint = await app.Api.GetOkAsync($"/v1/webhook-endpoints/{endpointId}");
        endpoint["enabled"]!.GetValue<bool>().ShouldBeFalse();
        endpoint["disabled_reason"]!.GetValue<string>().ShouldContain("410");

        await CreateLinkAsync(app.Api); // a disabled endpoint gets no new deliveries
        await Task.Delay(500);
        receiver.Requests.Count.ShouldBe(1);
        (await app.Api.GetOkAsync($"/v1/webhook-endpoints/{endpointId}/deliveries"))["data"]!.AsArray().Count.ShouldBe(1);

        var deliveryId = disabled["id"]!.GetValue<string>();
        (await app.Api.PostAsync($"/v1/deliveries/{deliveryId}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        receiver.Respond = (_, _) => Task.FromResult(204);
        (await app.Api.PatchAsJsonAsync($"/v1/webhook-endpoints/{endpointId}", new { enabled = true })).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var retry = await app.Api.PostAsync($"/v1/deliveries/{deliveryId}/retry", null);
        retry.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var delivered = await WaitForDeliveryAsync(app.Api, endpointId, d => d["status"]!.GetValue<string>() == "delivered", "delivered");
        delivered["attempts"]!.AsArray().Select(a => a!["status_code"]!.GetValue<int>()).ShouldBe([410, 204]);
        receiver.Requests.Select(w => w.Id).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task AHangingReceiverTimesOutWithoutHoldingUpOtherEndpoints()
    {
        await using var hanging = await WebhookReceiver.StartAsync();
        hanging.Respond = async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return 200; };
        await using var healthy = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync(settings: new() { ["ConnectLinks:Webhooks:TimeoutSeconds"] = "4" });
        var (hangingId, _) = await AddEndpointAsync(app.Api, hanging.Url, "link.created");
        await AddEndpointAsync(app.Api, healthy.Url, "link.created");

        var started = DateTime.UtcNow;
        var link = await CreateLinkAsync(app.Api);
        await healthy.WaitForAsync(w => IsFor(w, "link.created", link), TimeSpan.FromSeconds(5), "the healthy endpoint's delivery");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(3)); // well before the hanging one's 4 s timeout

        var timedOut = await WaitForDeliveryAsync(app.Api, hangingId, d => d["attempt_count"]!.GetValue<int>() == 1, "timed out");
        timedOut["status"]!.GetValue<string>().ShouldBe("pending");
        timedOut["last_error"]!.GetValue<string>().ShouldContain("timed out");
        timedOut["last_status_code"].ShouldBeNull();
        timedOut["last_latency_ms"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(3900);
        timedOut["next_attempt_at"].ShouldNotBeNull();
    }

    [Fact]
    public async Task PrivateAddressesAreRefusedBeforeSendingUnlessAllowed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync(settings: new()
        {
            ["ConnectLinks:Webhooks:AllowHttpLoopback"] = "true",
            ["ConnectLinks:Network:AllowPrivateTargets"] = "false",
        });
        var (endpointId, _) = await AddEndpointAsync(app.Api, receiver.Url.Replace("127.0.0.1", "localhost"), "link.created");
        await CreateLinkAsync(app.Api);
        var refused = await WaitForDeliveryAsync(app.Api, endpointId, d => d["attempt_count"]!.GetValue<int>() == 1, "refused");
        refused["last_error"]!.GetValue<string>().ShouldStartWith("refused:");
        refused["last_status_code"].ShouldBeNull();
        receiver.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task ARetryOfAnotherOrganizationsDeliveryIsNotFound()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync();
        var (endpointId, _) = await AddEndpointAsync(app.Api, receiver.Url, "link.created");
        await CreateLinkAsync(app.Api);
        var delivery = await WaitForDeliveryAsync(app.Api, endpointId, d => d["status"]!.GetValue<string>() == "delivered", "delivered");
        using var other = await app.ClientForAsync("globex");
        (await other.PostAsync($"/v1/deliveries/{delivery["id"]!.GetValue<string>()}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // The owner may send a delivered one again; the receiver sees the same webhook-id twice (dedupe by it).
        (await app.Api.PostAsync($"/v1/deliveries/{delivery["id"]!.GetValue<string>()}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await receiver.WaitUntilAsync(r => r.Count == 2, Soon, "the manual retry");
        receiver.Requests.Select(w => w.Id).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task StoppingTheServiceFinishesDeliveriesAlreadyInFlight()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (_, _) => { await Task.Delay(1500); return 200; };
        await using var app = await WebhookTestApp.StartAsync();
        var (endpointId, _) = await AddEndpointAsync(app.Api, receiver.Url, "link.created");
        await CreateLinkAsync(app.Api);
        await receiver.WaitUntilAsync(r => r.Count == 1, Soon, "the delivery to start");

        var dispatcher = app.Factory.Services.GetRequiredService<WebhookDispatcher>();
        await dispatcher.StopAsync(CancellationToken.None); // what host shutdown calls: stop claiming, drain sends
        var delivery = await OnlyDeliveryAsync(app.Api, endpointId);
        delivery["status"]!.GetValue<string>().ShouldBe("delivered");
        delivery["last_latency_ms"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(1000);

        await CreateLinkAsync(app.Api); // a stopped dispatcher claims nothing new
        await Task.Delay(500);
        receiver.Requests.Count.ShouldBe(1);
    }
}

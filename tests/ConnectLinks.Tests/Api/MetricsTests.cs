using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using ConnectLinks.Data;
using ConnectLinks.Tests.Hosted;
using ConnectLinks.Tests.Webhooks;
using ConnectLinks.Webhooks;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Tests.Api;

/// <summary>/metrics (SPEC §10): requests, link outcomes, check durations, the webhook queue and its latency.</summary>
public sealed partial class MetricsTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task MetricsCountRequestsOutcomesChecksAndDeliveriesAndNeverShowAToken()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var app = await WebhookTestApp.StartAsync(clock, new() { ["ConnectLinks:Sweep:IntervalSeconds"] = "0.2" });
        await app.Api.PostOkAsync("/v1/webhook-endpoints", new { url = receiver.Url, events = new[] { "*" } });

        var revoked = (await app.Api.CreateLinkAsync()).Str("id");
        (await app.Api.DeleteAsync($"/v1/links/{revoked}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var expiring = (await app.Api.CreateLinkAsync(new { expires_in = 300 })).Str("id");
        clock.Advance(TimeSpan.FromSeconds(301));
        var completed = await app.Api.CreateLinkAsync();
        var page = new LinkPage(app.Factory.CreateClient(), completed.Str("url"));
        await page.OpenAsync();
        await page.SubmitAsync(LinkPage.PostgresCredentials("not-the-password"));
        await page.SubmitAsync(LinkPage.PostgresCredentials());
        page.Heading.ShouldContain("Connected");

        // Every event reaches the receiver, and the dispatcher has counted each delivery. (Moving the clock can expire
        // the lease of a send in flight, which is then sent again: at least once, so at least as many as events.)
        // Nine events: created ×3, revoked, expired (the sweeper runs every 0.2 s), opened, test_failed, completed, connection.created.
        HashSet<string> events = [];
        for (var deadline = DateTime.UtcNow + Soon; events.Count < 9 && DateTime.UtcNow < deadline; await Task.Delay(50))
            events = (await app.Api.GetOkAsync("/v1/events?limit=100"))["data"]!.AsArray().Select(e => e!.Str("id")).ToHashSet();
        events.Count.ShouldBe(9);
        await receiver.WaitUntilAsync(r => events.IsSubsetOf(r.Select(w => w.Id)), Soon, "every event");
        var metrics = await ScrapeUntilAsync(app.Factory.CreateClient(), m =>
            m.Value("connectlinks_webhook_queue_depth") == 0
            && m.Value("connectlinks_webhook_attempts_total", ("result", "delivered")) >= events.Count
            && m.Value("connectlinks_webhook_delivery_latency_seconds_count") == m.Value("connectlinks_webhook_attempts_total", ("result", "delivered")));

        metrics.Value("connectlinks_link_outcomes_total", ("outcome", "revoked")).ShouldBe(1);
        metrics.Value("connectlinks_link_outcomes_total", ("outcome", "expired")).ShouldBe(1);
        metrics.Value("connectlinks_link_outcomes_total", ("outcome", "completed")).ShouldBe(1);
        metrics.Value("connectlinks_link_outcomes_total", ("outcome", "locked")).ShouldBe(0);
        metrics.Value("connectlinks_events_total", ("type", "link.created")).ShouldBe(3);
        metrics.Value("connectlinks_events_total", ("type", "connection.test_failed")).ShouldBe(1);
        metrics.Sum("connectlinks_events_total").ShouldBe(events.Count);

        metrics.Value("http_server_request_duration_seconds_count",
            ("http_request_method", "POST"), ("http_route", "/v1/links/"), ("http_response_status_code", "201")).ShouldBe(3);
        metrics.Value("http_server_request_duration_seconds_count",
            ("http_request_method", "GET"), ("http_route", "/connect/{token}"), ("http_response_status_code", "200")).ShouldBe(1);

        // The wrong password failed one check; the right one passed every check it ran.
        metrics.Sum("connectlinks_connector_check_duration_seconds_count", ("connector", "postgres"), ("status", "failed")).ShouldBe(1);
        metrics.Sum("connectlinks_connector_check_duration_seconds_count", ("connector", "postgres"), ("status", "passed")).ShouldBeGreaterThanOrEqualTo(3);

        // Labels are route patterns: the link's token (and its URL) never appear.
        metrics.Text.ShouldNotContain(completed.Str("token"));
        metrics.Text.ShouldNotContain("cl_");
    }

    [Fact]
    public async Task TheWebhookQueueGaugesReadTheSharedQueue()
    {
        using var app = new ConnectLinksApp();
        var api = await app.ClientForAsync();
        await api.CreateLinkAsync(); // before the endpoint exists, so it queues nothing itself
        var endpoint = (await api.PostOkAsync("/v1/webhook-endpoints", new { url = "https://hooks.example.com/in", events = new[] { "*" } })).Str("id");

        // Two deliveries leased by another instance: due 90 s and 30 s ago, so this instance leaves them alone.
        await using (var db = app.Db())
        {
            var evt = await db.Events.AsNoTracking().SingleAsync();
            var now = app.Clock.GetUtcNow();
            foreach (var age in new[] { 90, 30 })
                db.WebhookDeliveries.Add(new WebhookDelivery
                {
                    Id = Ids.New("whd"), OrganizationId = evt.OrganizationId, EventId = evt.Id, EventType = evt.Type,
                    EndpointId = endpoint, Payload = "{}", NextAttemptAt = now.AddSeconds(-age), CreatedAt = now.AddSeconds(-age),
                    LeaseOwner = "other-instance", LeaseUntil = now.AddHours(1),
                });
            await db.SaveChangesAsync();
        }

        var metrics = await ScrapeAsync(app.CreateClient());
        metrics.Value("connectlinks_webhook_queue_depth").ShouldBe(2);
        metrics.Value("connectlinks_webhook_queue_oldest_due_seconds").ShouldBe(90);
    }

    [Fact]
    public async Task AMetricsTokenGuardsTheScrape()
    {
        using var app = new ConnectLinksApp(new() { ["ConnectLinks:Metrics:Token"] = "scrape-secret" });
        var client = app.CreateClient();
        var anonymous = await client.GetAsync("/metrics");
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.ReadJsonAsync()).Str("code").ShouldBe("unauthorized");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "scrape-secreT");
        (await client.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "scrape-secret");
        (await ScrapeAsync(client)).Value("connectlinks_webhook_queue_depth").ShouldBe(0);
    }

    [Fact]
    public async Task MetricsCanBeTurnedOff()
    {
        using var app = new ConnectLinksApp(new() { ["ConnectLinks:Metrics:Enabled"] = "false" });
        (await app.CreateClient().GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static async Task<Scrape> ScrapeUntilAsync(HttpClient client, Func<Scrape, bool> done)
    {
        var deadline = DateTime.UtcNow + Soon;
        while (true)
        {
            var scrape = await ScrapeAsync(client);
            if (done(scrape)) return scrape;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The metrics did not settle:\n" + scrape.Text);
            await Task.Delay(50);
        }
    }

    /// <summary>Fetches /metrics and checks it against the text exposition format before anything else reads it.</summary>
    private static async Task<Scrape> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.ToString().ShouldStartWith("text/plain; version=0.0.4");
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#'))
            {
                line.ShouldMatch(@"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$");
                continue;
            }
            var match = SampleLine().Match(line);
            match.Success.ShouldBeTrue($"not a sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            var value = match.Groups["value"].Value == "+Inf" ? double.PositiveInfinity : double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            samples.Add(new Sample(match.Groups["name"].Value, labels, value));
        }
        // Histogram buckets rise with le and end at the count.
        foreach (var series in samples.Where(s => s.Name.EndsWith("_bucket"))
                     .GroupBy(s => s.Name + string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key))))
        {
            var counts = series.Select(s => s.Value).ToList();
            counts.ShouldBe(counts.Order().ToList());
            var first = series.First();
            var count = samples.Single(s => s.Name == first.Name[..^"_bucket".Length] + "_count"
                && s.Labels.Count == first.Labels.Count - 1 && s.Labels.All(l => first.Labels.GetValueOrDefault(l.Key) == l.Value));
            counts[^1].ShouldBe(count.Value);
        }
        return new Scrape(text, samples);
    }

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    private sealed record Scrape(string Text, List<Sample> Samples)
    {
        private IEnumerable<Sample> Matching(string name, (string Key, string Value)[] labels) =>
            Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value));

        /// <summary>The one series with exactly these labels (0 when it has not been recorded yet).</summary>
        public double Value(string name, params (string Key, string Value)[] labels) =>
            Matching(name, labels).Where(s => s.Labels.Count == labels.Length).Select(s => s.Value).SingleOrDefault();

        public double Sum(string name, params (string Key, string Value)[] labels) => Matching(name, labels).Sum(s => s.Value);
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\]|\\.)*"",?)*)\})? (?<value>[-+]?([0-9.]+([eE][-+]?[0-9]+)?|Inf|NaN))$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}

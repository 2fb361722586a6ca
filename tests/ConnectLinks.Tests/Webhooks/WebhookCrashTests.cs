using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit.Abstractions;

namespace ConnectLinks.Tests.Webhooks;

/// <summary>Real processes: a SIGKILL in the middle of delivering, and two instances sharing one PostgreSQL.</summary>
public sealed class WebhookCrashTests(ITestOutputHelper output)
{
    private const int LinkCount = 500;

    private static async Task CreateLinksAsync(IReadOnlyList<HttpClient> clients, int count)
    {
        var next = -1;
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), async (_, _) =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var response = await clients[i % clients.Count].PostAsJsonAsync("/v1/links", new { owner = new { id = $"cust-{i}" } });
                ((int)response.StatusCode).ShouldBe(201, await response.Content.ReadAsStringAsync());
            }
        });
    }

    private static async Task<HashSet<string>> EventIdsAsync(HttpClient api)
    {
        var ids = new HashSet<string>();
        string? cursor = null;
        do
        {
            var page = await api.GetOkAsync("/v1/events?limit=100" + (cursor is null ? "" : "&cursor=" + cursor));
            foreach (var e in page["data"]!.AsArray()) ids.Add(e!["id"]!.GetValue<string>());
            cursor = page["has_more"]!.GetValue<bool>() ? page["next_cursor"]!.GetValue<string>() : null;
        } while (cursor is not null);
        return ids;
    }

    [Fact]
    public async Task AServiceKilledMidDeliveryLosesNoWebhookAfterRestart()
    {
        var dataDir = Directory.CreateTempSubdirectory("cl-webhooks-crash-").FullName;
        var environment = ServiceProcess.BaseEnvironment();
        await using var receiver = await WebhookReceiver.StartAsync();
        // A slowish receiver keeps deliveries in flight long enough to kill the service among them.
        receiver.Respond = async (_, ct) => { await Task.Delay(200, ct); return 200; };
        var key = await ServiceProcess.RunCliAsync(environment, "keys", "create", "--org", "crash", "--data-dir", dataDir);

        var first = await ServiceProcess.StartAsync(environment, dataDir);
        using (var api = first.Client(key))
        {
            await api.PostOkAsync("/v1/webhook-endpoints", new { url = receiver.Url, events = new[] { "*" } });
            await CreateLinksAsync([api], LinkCount);
        }
        await receiver.WaitUntilAsync(r => r.Select(w => w.Id).Distinct().Count() >= 100, TimeSpan.FromSeconds(60), "100 deliveries before the kill");
        await first.KillAsync();
        var atKill = receiver.Requests.Select(w => w.Id).Distinct().Count();
        output.WriteLine($"distinct deliveries received when killed: {atKill}");
        atKill.ShouldBeLessThan(LinkCount, "the kill must come in the middle of delivering");

        await using var second = await ServiceProcess.StartAsync(environment, dataDir);
        // An event written by another process (the CLI) gets its delivery from the same outbox; the server finds it by polling.
        await ServiceProcess.RunCliAsync(environment, "links", "create", "--org", "crash", "--owner-id", "from-cli", "--data-dir", dataDir);
        using var api2 = second.Client(key);
        var events = await EventIdsAsync(api2);
        events.Count.ShouldBe(LinkCount + 1);
        await receiver.WaitUntilAsync(r => events.IsSubsetOf(r.Select(w => w.Id)), TimeSpan.FromSeconds(90), "every event after the restart");

        var byId = receiver.Requests.GroupBy(w => w.Id).ToList();
        byId.Count.ShouldBe(LinkCount + 1);
        // The webhook-id is the event id and stays the same when a delivery is re-sent after the crash.
        byId.ShouldAllBe(g => g.Select(w => w.Body).Distinct().Count() == 1);
        output.WriteLine($"re-sent after the crash (at-least-once duplicates): {byId.Sum(g => g.Count() - 1)}");
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task TwoInstancesOnOnePostgresShareTheDeliveriesAndSendEachOnce()
    {
        const int links = 300;
        var connectionString = TestDatabase.NewPostgresDatabase(); // fails loudly without the test PostgreSQL
        var environment = ServiceProcess.BaseEnvironment();
        environment["ConnectLinks__Database__Provider"] = "postgres";
        environment["ConnectLinks__Database__ConnectionString"] = connectionString;
        environment["ConnectLinks__Webhooks__LeaseSeconds"] = "60"; // normal operation: no lease runs out
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async (_, ct) => { await Task.Delay(30, ct); return 200; };
        var key = await ServiceProcess.RunCliAsync(environment, "keys", "create", "--org", "shared", "--data-dir", Path.GetTempPath());

        await using var a = await ServiceProcess.StartAsync(environment, Directory.CreateTempSubdirectory("cl-a-").FullName);
        await using var b = await ServiceProcess.StartAsync(environment, Directory.CreateTempSubdirectory("cl-b-").FullName);
        using var apiA = a.Client(key);
        using var apiB = b.Client(key);
        await apiA.PostOkAsync("/v1/webhook-endpoints", new { url = receiver.Url, events = new[] { "link.created" } });
        await CreateLinksAsync([apiA, apiB], links);

        var events = await EventIdsAsync(apiB);
        events.Count.ShouldBe(links);
        await receiver.WaitUntilAsync(r => events.IsSubsetOf(r.Select(w => w.Id)), TimeSpan.FromSeconds(60), "every event");
        await Task.Delay(1000); // a duplicate would show up now
        receiver.Requests.Count.ShouldBe(links, "each delivery is claimed by one instance at a time: none is sent twice");

        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("""SELECT "Instance", COUNT(*) FROM webhook_attempts GROUP BY "Instance" """, db);
        var perInstance = new Dictionary<string, long>();
        await using (var reader = await query.ExecuteReaderAsync())
            while (await reader.ReadAsync()) perInstance[reader.GetString(0)] = reader.GetInt64(1);
        output.WriteLine(string.Join(", ", perInstance.Select(p => $"{p.Key}: {p.Value}")));
        perInstance.Count.ShouldBe(2, "both instances should have sent some deliveries");
        perInstance.Values.Sum().ShouldBe(links);
    }
}

// The full connect flow as load: a partner creates a link, a customer opens the page and submits valid PostgreSQL
// credentials, the service tests them and stores the connection. N workers repeat it for D seconds.
// Usage: Flow BASE_URL API_KEY SECONDS WORKERS PG_HOST PG_PORT PG_USER PG_PASSWORD PG_DATABASE
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

var (baseUrl, key, seconds, workers) = (args[0], args[1], int.Parse(args[2]), int.Parse(args[3]));
var credentials = new Dictionary<string, string>
{
    ["connector"] = "postgres", ["host"] = args[4], ["port"] = args[5], ["username"] = args[6], ["password"] = args[7],
    ["database"] = args[8], ["sslmode"] = "disable", ["schema"] = "public",
};
// Cookies are carried by hand so every flow is a fresh browser without a new connection pool per flow.
using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 1024 }) { BaseAddress = new Uri(baseUrl) };
var antiforgery = new Regex("name=\"__af\" value=\"([^\"]+)\"");

async Task<(double Total, double Submit)> OneFlowAsync(int n)
{
    var started = Stopwatch.GetTimestamp();
    using var create = new HttpRequestMessage(HttpMethod.Post, "/v1/links") { Content = JsonContent.Create(new { connector = "postgres", owner = new { id = $"bench-{n}" } }) };
    create.Headers.Authorization = new("Bearer", key);
    using var created = await http.SendAsync(create);
    if (created.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"create: {created.StatusCode}");
    var path = new Uri((await created.Content.ReadFromJsonAsync<JsonObject>())!["url"]!.GetValue<string>()).AbsolutePath;

    using var page = await http.GetAsync(path);
    var html = await page.Content.ReadAsStringAsync();
    var cookie = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
    var form = new Dictionary<string, string>(credentials) { ["__af"] = antiforgery.Match(html).Groups[1].Value };

    var submitStarted = Stopwatch.GetTimestamp();
    using var submit = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
    submit.Headers.Add("Cookie", cookie);
    using var done = await http.SendAsync(submit);
    var body = await done.Content.ReadAsStringAsync();
    if (done.StatusCode != HttpStatusCode.OK || !body.Contains("Connected")) throw new InvalidOperationException($"submit: {done.StatusCode}");
    return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, Stopwatch.GetElapsedTime(submitStarted).TotalMilliseconds);
}

await OneFlowAsync(-1); // warm-up
var results = new List<(double Total, double Submit)>();
var errors = 0;
var counter = 0;
var deadline = Stopwatch.GetTimestamp() + seconds * Stopwatch.Frequency;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
{
    while (Stopwatch.GetTimestamp() < deadline)
    {
        try
        {
            var r = await OneFlowAsync(Interlocked.Increment(ref counter));
            lock (results) results.Add(r);
        }
        catch (Exception e)
        {
            if (Interlocked.Increment(ref errors) <= 3) Console.Error.WriteLine(e.Message);
        }
    }
}));
var elapsed = clock.Elapsed.TotalSeconds;
double P(IEnumerable<double> xs, double q) { var s = xs.Order().ToArray(); return s.Length == 0 ? 0 : s[Math.Min(s.Length - 1, (int)(q * s.Length))]; }
Console.WriteLine($"RESULT flows={results.Count} rps={results.Count / elapsed:0.0} p50_ms={P(results.Select(r => r.Total), .5):0.0} " +
                  $"p99_ms={P(results.Select(r => r.Total), .99):0.0} submit_p50_ms={P(results.Select(r => r.Submit), .5):0.0} " +
                  $"submit_p99_ms={P(results.Select(r => r.Submit), .99):0.0} errors={errors}");

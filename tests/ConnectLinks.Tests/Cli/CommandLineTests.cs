using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ConnectLinks.Tests.Cli;

/// <summary>The operator's commands, run as the real binary against the same database as the API.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly ConnectLinksApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task KeysCreatePrintsOnlyAKeyThatWorksAgainstTheApi()
    {
        var (exit, stdout, stderr) = await ServiceProcess.RunAsync(_app.Settings, "keys", "create", "--org", "acme");
        exit.ShouldBe(0, stderr);
        var key = stdout.Trim();
        stdout.ShouldBe(key + Environment.NewLine); // the key alone on stdout
        key.ShouldStartWith("clk_");

        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        (await client.PostAsJsonAsync("/v1/links", new { owner = new { id = "c" } })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var revoke = await ServiceProcess.RunAsync(_app.Settings, "keys", "revoke", key);
        revoke.Exit.ShouldBe(0, revoke.Stderr);
        var watch = Stopwatch.StartNew();
        while ((await client.GetAsync("/v1/links")).StatusCode != HttpStatusCode.Unauthorized)
        {
            watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task KeysCreateHonoursScopesAndRefusesUnknownOnes()
    {
        var bad = await ServiceProcess.RunAsync(_app.Settings, "keys", "create", "--org", "acme", "--scopes", "links:read,links:destroy");
        bad.Exit.ShouldNotBe(0);
        bad.Stderr.ShouldContain("links:destroy");
        bad.Stdout.ShouldBeEmpty();

        var ok = await ServiceProcess.RunAsync(_app.Settings, "keys", "create", "--org", "acme", "--scopes", "links:read");
        ok.Exit.ShouldBe(0, ok.Stderr);
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ok.Stdout.Trim());
        (await client.GetAsync("/v1/links")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsJsonAsync("/v1/links", new { owner = new { id = "c" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task OrgsCreateMigrateAndLinksCreateWork()
    {
        var migrate = await ServiceProcess.RunAsync(_app.Settings, "migrate");
        migrate.Exit.ShouldBe(0, migrate.Stderr);
        var again = await ServiceProcess.RunAsync(_app.Settings, "migrate");
        again.Exit.ShouldBe(0, again.Stderr);

        var org = await ServiceProcess.RunAsync(_app.Settings, "orgs", "create", "initech");
        org.Exit.ShouldBe(0, org.Stderr);
        org.Stdout.Trim().ShouldStartWith("org_");
        (await ServiceProcess.RunAsync(_app.Settings, "orgs", "create", "initech")).Stdout.ShouldBe(org.Stdout); // no duplicate

        var link = await ServiceProcess.RunAsync(_app.Settings, "links", "create", "--org", "initech", "--owner-id", "cust_7", "--expires-in", "600", "--public-url", "https://connect.example.com");
        link.Exit.ShouldBe(0, link.Stderr);
        link.Stdout.Trim().ShouldStartWith("https://connect.example.com/connect/cl_");

        var client = await _app.ClientForAsync("initech");
        var links = await client.GetFromJsonAsync<JsonObject>("/v1/links");
        links!["data"]![0]!["owner"]!.Str("id").ShouldBe("cust_7");

        var badLink = await ServiceProcess.RunAsync(_app.Settings, "links", "create", "--org", "initech", "--owner-id", "c", "--expires-in", "5");
        badLink.Exit.ShouldNotBe(0);
        badLink.Stderr.ShouldContain("expires_in");
    }
}

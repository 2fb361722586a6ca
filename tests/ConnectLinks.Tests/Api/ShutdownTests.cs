using System.Net;
using System.Text.Json.Nodes;
using ConnectLinks.Tests.Hosted;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConnectLinks.Tests.Api;

/// <summary>SPEC §10: a stopped service finishes what it is doing before it exits.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task SigtermLetsARequestInFlightFinishThenExitsCleanly()
    {
        // The end customer's API answers the connection test slowly, so the submit is still running at SIGTERM.
        var testStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (slowApi, slowApiUrl) = await SlowApiAsync(testStarted);
        await using var stopSlowApi = slowApi;
        var dataDir = Directory.CreateTempSubdirectory("cl-shutdown-").FullName;
        var environment = ServiceProcess.BaseEnvironment();
        var key = await ServiceProcess.RunCliAsync(environment, "keys", "create", "--org", "shutdown", "--data-dir", dataDir);
        var service = await ServiceProcess.StartAsync(environment, dataDir);
        await using (service)
        {
            using var api = service.Client(key);
            var link = await api.CreateLinkAsync(new { connector = "http-bearer" });
            using var browser = new HttpClient { BaseAddress = new Uri(service.BaseUrl) }; // keeps cookies, like a browser
            var page = await new LinkPage(browser, link.Str("url")).OpenAsync();
            var submit = page.SubmitAsync(new() { ["base_url"] = slowApiUrl, ["token"] = "t0ken-for-shutdown" });
            await testStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var exit = service.TerminateAsync(TimeSpan.FromSeconds(30));
            await submit;
            page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK, page.Text);
            page.Heading.ShouldContain("Connected");
            (await exit).ShouldBe(0, service.Log);
        }

        // What the request committed before the exit is there after a restart.
        await using var again = await ServiceProcess.StartAsync(environment, dataDir);
        using var client = again.Client(key);
        var links = (await client.GetFromJsonAsync<JsonObject>("/v1/links"))!["data"]!.AsArray();
        links.Single()!.Str("status").ShouldBe("completed");
    }

    private static Task<(WebApplication App, string BaseUrl)> SlowApiAsync(TaskCompletionSource started) =>
        LocalHttpApp.StartAsync(app => app.MapGet("/", async () =>
        {
            started.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(2));
            return Results.Ok(new { ok = true });
        }));
}

using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace ConnectLinks.Tests.Hosted;

/// <summary>
/// SPEC §8: a known secret submitted through the page appears nowhere but in the encrypted column — not in logs
/// (at every level), events, API responses, pages or the database — and a mistyped one is not kept at all.
/// </summary>
public sealed class SecretLeakTests : IAsyncLifetime
{
    private const string Canary = "Canary-7f3a9c1e-Tok3n";
    private const string WrongCanary = "Canary-WRONG-55e1b0";
    private readonly ConnectLinksApp _app = new(new()
    {
        ["ConnectLinks:Network:AllowPrivateTargets"] = "true",
        ["Logging:LogLevel:Default"] = "Trace",
    });
    private WebApplication _api = null!;
    private string _apiUrl = "";

    public async Task InitializeAsync()
    {
        // The customer's SaaS API: it accepts only the canary token.
        var port = ServiceProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _api = builder.Build();
        _api.MapGet("/v1/me", (HttpContext http) =>
            http.Request.Headers.Authorization == $"Bearer {Canary}" ? Results.Json(new { id = "acct_1" }) : Results.StatusCode(401));
        await _api.StartAsync();
        _apiUrl = $"http://127.0.0.1:{port}";
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _app.Dispose();
    }

    [Fact]
    public async Task AKnownSecretAppearsNowhereButInTheEncryptedColumn()
    {
        var partner = await _app.ClientForAsync();
        var link = await partner.CreateLinkAsync(new { connector = "http-bearer", metadata = new { plan = "pro" } });
        var page = new LinkPage(_app.CreateClient(), link.Str("url"));
        await page.OpenAsync();
        var seen = new StringBuilder();

        await page.SubmitAsync(new() { ["base_url"] = _apiUrl, ["test_path"] = "/v1/me", ["token"] = WrongCanary });
        page.Response!.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        seen.AppendLine(page.Html);
        await page.SubmitAsync(new() { ["base_url"] = _apiUrl, ["test_path"] = "/v1/me", ["token"] = Canary });
        page.Heading.ShouldContain("Connected", customMessage: page.Text);
        seen.AppendLine(page.Html);

        var connectionId = (await partner.GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}"))!.Str("connection_id");
        foreach (var path in new[] { "/v1/events?limit=100", "/v1/links", $"/v1/links/{link.Str("id")}", "/v1/connections", $"/v1/connections/{connectionId}" })
            seen.AppendLine(await partner.GetStringAsync(path));
        seen.AppendLine(await (await partner.PostAsync($"/v1/connections/{connectionId}/test", null)).Content.ReadAsStringAsync());
        await page.OpenAsync(); // the used-link page
        seen.AppendLine(page.Html);
        foreach (var line in _app.Logs.Lines) seen.AppendLine(line);
        seen.AppendLine(await _app.DumpDatabaseAsync());

        var everything = seen.ToString();
        everything.ShouldContain("connection.created"); // the haystack really holds the events
        _app.Logs.Lines.Count().ShouldBeGreaterThan(20); // and the logs, at every level
        everything.ShouldNotContain(Canary);
        everything.ShouldNotContain(WrongCanary);

        // It is stored, encrypted, and the privileged key gets it back.
        var credentials = await partner.GetFromJsonAsync<JsonObject>($"/v1/connections/{connectionId}/credentials");
        credentials!["credentials"]!.Str("token").ShouldBe(Canary);
    }
}

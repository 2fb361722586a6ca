using ConnectLinks.Connectors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ConnectLinks.Tests.Connectors;

/// <summary>A local API on 127.0.0.1 that imitates the SaaS endpoints the shipped definitions call.</summary>
public sealed class LocalApi : IAsyncLifetime
{
    public const string Token = "tok_Local-Api-Secret-123";
    private WebApplication? _app;

    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();

        // HubSpot: bearer token.
        app.MapGet("/crm/v3/objects/contacts", (HttpRequest r) => r.Headers.Authorization == $"Bearer {Token}" && r.Query["limit"] == "1"
            ? Results.Json(new { results = new[] { new { id = "1" } } })
            : Results.Json(new { status = "error", message = "Authentication credentials not found." }, statusCode: 401));
        // Stripe: the secret key as the basic-auth username, empty password.
        app.MapGet("/v1/balance", (HttpRequest r) => r.Headers.Authorization == "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Token}:"))
            ? Results.Json(new { @object = "balance", available = Array.Empty<object>() })
            : Results.StatusCode(401));
        // Pipedrive: token in the query string.
        app.MapGet("/v1/users/me", (HttpRequest r) => r.Query["api_token"] == Token
            ? Results.Json(new { success = true, data = new { id = 7 } })
            : Results.Json(new { success = false }, statusCode: 401));
        // Postmark: token in a named header.
        app.MapGet("/server", (HttpRequest r) => r.Headers["X-Postmark-Server-Token"] == Token
            ? Results.Text("""{"ID":1,"Name":"s"}""", "application/json")
            : Results.StatusCode(401));
        // Looks like the API but answers something else: a JSON path failure.
        app.MapGet("/v0/meta/whoami", () => Results.Json(new { error = "not the API" }));
        app.MapGet("/slow", async (CancellationToken ct) => { await Task.Delay(TimeSpan.FromSeconds(20), ct); return Results.Ok(); });
        // A server that echoes the credential in its status line.
        app.MapGet("/echo", (HttpContext c) =>
        {
            c.Response.StatusCode = 500;
            c.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = "bad token " + c.Request.Headers.Authorization;
            return Task.CompletedTask;
        });
        app.MapGet("/basic", (HttpRequest r) => r.Headers.Authorization == "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"alice:{Token}"))
            ? Results.Ok() : Results.StatusCode(401));
        app.MapGet("/moved", () => Results.Redirect("http://169.254.169.254/latest/meta-data/"));

        await app.StartAsync();
        _app = app;
        Url = app.Urls.Single();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

public class HttpConnectorTests(LocalApi api) : IClassFixture<LocalApi>
{
    private ConnectionTester Tester(TimeSpan? checkTimeout = null) => ConnectorTestKit.Tester(
        checkTimeout: checkTimeout,
        baseUrlOverrides: new() { ["hubspot"] = api.Url, ["stripe"] = api.Url, ["pipedrive"] = api.Url, ["postmark"] = api.Url, ["airtable"] = api.Url });

    private Task<ConnectionTestResult> Test(string connectorId, Dictionary<string, string?> values, TimeSpan? checkTimeout = null) =>
        Tester(checkTimeout).TestAsync(ConnectorTestKit.Connector(connectorId), values, CancellationToken.None);

    [Fact]
    public async Task BearerTokenReachesHubSpotContacts()
    {
        var result = await Test("hubspot", new() { ["access_token"] = LocalApi.Token });

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("host:passed,contacts:passed");
        result.Check("contacts").Message.ShouldBe("GET /crm/v3/objects/contacts answered 200.");
    }

    [Fact]
    public async Task BasicAuthWithKeyAsUsernameReachesStripeBalance()
    {
        var result = await Test("stripe", new() { ["secret_key"] = LocalApi.Token });

        result.Statuses().ShouldBe("host:passed,balance:passed", result.Describe());
    }

    [Fact]
    public async Task QueryParameterTokenReachesPipedrive()
    {
        var result = await Test("pipedrive", new() { ["api_token"] = LocalApi.Token });

        result.Statuses().ShouldBe("host:passed,me:passed", result.Describe());
        result.ShouldNotContainSecret(LocalApi.Token);
    }

    [Fact]
    public async Task NamedHeaderTokenReachesPostmark()
    {
        var result = await Test("postmark", new() { ["server_token"] = LocalApi.Token });

        result.Statuses().ShouldBe("host:passed,server:passed", result.Describe());
    }

    [Fact]
    public async Task GenericBasicAuthSendsUsernameAndPassword()
    {
        var result = await Test("http-basic", new() { ["base_url"] = api.Url, ["test_path"] = "/basic", ["username"] = "alice", ["password"] = LocalApi.Token });

        result.Statuses().ShouldBe("host:passed,request:passed", result.Describe());
    }

    [Fact]
    public async Task RejectedTokenFailsWith401Explanation()
    {
        var result = await Test("hubspot", new() { ["access_token"] = "pat-wrong-Token-999" });

        result.Ok.ShouldBeFalse();
        result.Statuses().ShouldBe("host:passed,contacts:failed");
        result.Check("contacts").Message.ShouldBe("GET /crm/v3/objects/contacts answered 401 Unauthorized: the credential was not accepted.");
        result.ShouldNotContainSecret("pat-wrong-Token-999");
    }

    [Fact]
    public async Task ResponseWithoutTheExpectedJsonPathFails()
    {
        var result = await Test("airtable", new() { ["token"] = LocalApi.Token });

        result.Statuses().ShouldBe("host:passed,whoami:failed");
        result.Check("whoami").Message.ShouldBe("GET /v0/meta/whoami answered 200 but the response has no $.id.");
    }

    [Fact]
    public async Task SlowApiTimesOutAtTheCheckTimeout()
    {
        var started = DateTime.UtcNow;
        var result = await Test("http-bearer", new() { ["base_url"] = api.Url, ["test_path"] = "/slow", ["token"] = LocalApi.Token }, TimeSpan.FromMilliseconds(500));

        result.Statuses().ShouldBe("host:passed,request:failed");
        result.Check("request").Message.ShouldBe("Timed out: no answer within 0.5 s.");
        result.Check("request").DurationMs.ShouldBeInRange(450, 3000);
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WholeTestStopsAtTheTestTimeout()
    {
        var result = await ConnectorTestKit.Tester(testTimeout: TimeSpan.FromMilliseconds(500)).TestAsync(
            ConnectorTestKit.Connector("http-bearer"),
            new Dictionary<string, string?> { ["base_url"] = api.Url, ["test_path"] = "/slow", ["token"] = LocalApi.Token },
            CancellationToken.None);

        result.Statuses().ShouldBe("host:passed,request:failed");
        result.Check("request").Message.ShouldBe("Timed out: the connection test ran out of time.");
    }

    [Fact]
    public async Task CallerCancellationIsNotReportedAsAResult()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Should.ThrowAsync<OperationCanceledException>(() => ConnectorTestKit.Tester().TestAsync(
            ConnectorTestKit.Connector("http-bearer"),
            new Dictionary<string, string?> { ["base_url"] = api.Url, ["test_path"] = "/slow", ["token"] = LocalApi.Token },
            cancel.Token));
    }

    [Fact]
    public async Task SecretEchoedByTheServerIsScrubbedFromTheResult()
    {
        var result = await Test("http-bearer", new() { ["base_url"] = api.Url, ["test_path"] = "/echo", ["token"] = LocalApi.Token });

        result.Check("request").Status.ShouldBe(CheckResult.Failed);
        result.Check("request").Message.ShouldBe("GET /echo answered 500 bad token Bearer [redacted]; expected 200.");
        result.ShouldNotContainSecret(LocalApi.Token);
    }

    [Fact]
    public async Task RedirectsAreReportedNotFollowed()
    {
        var result = await Test("http-bearer", new() { ["base_url"] = api.Url, ["test_path"] = "/moved", ["token"] = LocalApi.Token });

        result.Check("request").Message.ShouldBe("GET /moved redirected to http://169.254.169.254/latest/meta-data/.");
    }

    [Fact]
    public async Task BaseUrlMustBeHttp()
    {
        var result = await Test("http-bearer", new() { ["base_url"] = "file:///etc/passwd", ["token"] = LocalApi.Token });

        result.Statuses().ShouldBe("host:failed,request:skipped");
        result.Check("host").Message.ShouldBe("The base URL must be an absolute http or https URL.");
    }
}

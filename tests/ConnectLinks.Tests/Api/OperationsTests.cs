using System.Text.Json.Nodes;

namespace ConnectLinks.Tests.Api;

public sealed class OperationsTests : IDisposable
{
    private readonly ConnectLinksApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task HealthAndReadinessAnswer()
    {
        var client = _app.CreateClient();
        (await client.GetStringAsync("/healthz")).ShouldBe("ok");
        var ready = await client.GetAsync("/readyz");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ready.Content.ReadAsStringAsync()).ShouldBe("Healthy");
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesEveryLinkEndpoint()
    {
        var doc = await _app.CreateClient().GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        var paths = doc!["paths"]!.AsObject();
        paths["/v1/links"]!.AsObject().Select(p => p.Key).ShouldBe(["post", "get"], ignoreOrder: true);
        paths.ContainsKey("/v1/links/{id}").ShouldBeTrue();
        paths.ContainsKey("/v1/links/{id}/regenerate").ShouldBeTrue();
        paths.ContainsKey("/v1/links/{id}/extend").ShouldBeTrue();
        paths.ContainsKey("/v1/settings").ShouldBeTrue();
        paths.ContainsKey("/v1/events").ShouldBeTrue();
        paths["/v1/links"]!["post"]!.Str("summary").ShouldBe("Create a connect link");
    }

    [Fact]
    public async Task TheDocsPageIsServed()
    {
        var client = _app.CreateClient();
        var page = await client.GetStringAsync("/docs/");
        page.ShouldContain("<script src=\"docs.js\"");
        page.ShouldContain("validation_failed");
        (await client.GetAsync("/docs/docs.js")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task UnknownRoutesAreProblemDetails()
    {
        var response = await _app.CreateClient().GetAsync("/v1/nothing-here");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.ReadJsonAsync()).Str("code").ShouldBe("not_found");
    }
}

public sealed class MethodNotAllowedTests : IDisposable
{
    private readonly ConnectLinksApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task AWrongMethodIsA405ProblemNotA500()
    {
        var client = await _app.ClientForAsync();
        var response = await client.PostAsJsonAsync("/v1/settings", new { default_link_ttl = 600 });
        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        (await response.ReadJsonAsync()).Str("code").ShouldBe("method_not_allowed");
    }
}

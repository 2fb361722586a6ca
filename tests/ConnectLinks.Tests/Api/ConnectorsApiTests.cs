using System.Text.Json.Nodes;

namespace ConnectLinks.Tests.Api;

public sealed class ConnectorsApiTests : IDisposable
{
    private readonly ConnectLinksApp _app = new();

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task TheCatalogListsEveryConnectorWithItsFormAndChecks()
    {
        var client = await _app.ClientForAsync();
        var catalog = (await client.GetFromJsonAsync<JsonObject>("/v1/connectors"))!;
        var connectors = catalog["data"]!.AsArray();
        connectors.Select(c => c.Str("id")).ShouldBeSubsetOf(connectors.Select(c => c.Str("id")).Distinct());
        connectors.Select(c => c.Str("id")).ShouldContain("postgres");
        connectors.Select(c => c.Str("id")).ShouldContain("s3");
        catalog["categories"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldContain("database");

        var postgres = connectors.Single(c => c.Str("id") == "postgres")!;
        postgres.Str("auth_mode").ShouldBe("credentials");
        var password = postgres["fields"]!.AsArray().Single(f => f.Str("name") == "password")!;
        password["secret"]!.GetValue<bool>().ShouldBeTrue();
        password.Str("type").ShouldBe("password");
        postgres["checks"]!.AsArray().Select(c => c.Str("id")).Count().ShouldBe(7);

        (await _app.CreateClient().GetAsync("/v1/connectors")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}

using System.Text.Json.Nodes;

namespace ConnectLinks.Tests.Links;

/// <summary>Bad input gets a 400 problem naming the field, and nothing is written.</summary>
public sealed class LinkValidationTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = await _app.ClientForAsync();
        await _app.AllowRedirectsAsync(_client);
    }

    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    public static TheoryData<string, string> BadBodies() => new()
    {
        { """{"connector":"postgres"}""", "owner" },
        { """{"owner":{}}""", "owner.id" },
        { """{"owner":{"id":""}}""", "owner.id" },
        { """{"owner":{"id":"c"},"expires_in":"soon"}""", "expires_in" },
        { """{"owner":{"id":"c"},"expires_in":0}""", "expires_in" },
        { """{"owner":{"id":"c"},"expires_in":-5}""", "expires_in" },
        { """{"owner":{"id":"c"},"expires_in":299}""", "expires_in" },
        { """{"owner":{"id":"c"},"expires_in":2592001}""", "expires_in" },
        { """{"owner":{"id":"c"},"expires_in":99999999999999999999999}""", "expires_in" },
        { """{"owner":{"id":"c"},"expires_in":1.5}""", "expires_in" },
        { """{"owner":{"id":"c"},"max_uses":0}""", "max_uses" },
        { """{"owner":{"id":"c"},"max_attempts":1000}""", "max_attempts" },
        { """{"owner":{"id":"c"},"kind":"sideways"}""", "kind" },
        { """{"owner":{"id":"c"},"connector":"Not A Connector!"}""", "connector" },
        { """{"owner":{"id":"c"},"connector":"postgres","connectors":["postgres"]}""", "connector" },
        { """{"owner":{"id":"c"},"connectors":[]}""", "connectors" },
        { """{"owner":{"id":"c"},"connectors":"postgres"}""", "connectors" },
        { """{"owner":{"id":"c"},"title":123}""", "title" },
        { """{"owner":{"id":"c"},"shoe_size":44}""", "shoe_size" },
        { """{"owner":{"id":"c","age":3}}""", "owner.age" },
        { """{"owner":{"id":"c"},"redirect_uri":"https://evil.example.net/cb"}""", "redirect_uri" },
        { """{"owner":{"id":"c"},"redirect_uri":"javascript:alert(1)"}""", "redirect_uri" },
        { """{"owner":{"id":"c"},"redirect_uri":"data:text/html,hi"}""", "redirect_uri" },
        { """{"owner":{"id":"c"},"redirect_uri":"http://app.example.com/cb"}""", "redirect_uri" },
        { """{"owner":{"id":"c"},"redirect_uri":"/relative"}""", "redirect_uri" },
        { """{"owner":{"id":"c"},"redirect_uri":"https://user:pw@app.example.com/cb"}""", "redirect_uri" },
        { """{"owner":{"id":"c"},"webhook_url":"ftp://x.test"}""", "webhook_url" },
        { """{"owner":{"id":"c"},"metadata":{"a":1}}""", "metadata.a" },
        { """{"owner":{"id":"c"},"metadata":[]}""", "metadata" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadCreateBodyIsA400NamingTheFieldAndWritesNothing(string body, string field)
    {
        var response = await _client.PostRawAsync("/v1/links", body);
        var problem = await response.ReadJsonAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, problem.ToJsonString());
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        problem["status"]!.GetValue<int>().ShouldBe(400);
        problem.Str("type").ShouldNotBeNullOrEmpty();
        problem.Str("title").ShouldNotBeNullOrEmpty();
        problem["errors"]!.AsObject().Select(e => e.Key).ShouldContain(field, problem.ToJsonString());
        problem.ToJsonString().ShouldNotContain("   at "); // no stack trace
        await NothingWasWritten();
    }

    [Fact]
    public async Task OverLongStringsAreRefusedWithTheLimit()
    {
        var response = await _client.PostAsJsonAsync("/v1/links", new { owner = new { id = new string('x', 201), name = new string('y', 201) }, title = new string('t', 201) });
        var problem = await response.ReadJsonAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        errors["owner.id"]![0]!.GetValue<string>().ShouldContain("200");
        errors.ContainsKey("owner.name").ShouldBeTrue();
        errors.ContainsKey("title").ShouldBeTrue();
        await NothingWasWritten();
    }

    [Fact]
    public async Task MoreThanFiftyMetadataKeysAreRefused()
    {
        var metadata = Enumerable.Range(0, 51).ToDictionary(i => $"k{i}", i => "v");
        var response = await _client.PostAsJsonAsync("/v1/links", new { owner = new { id = "c" }, metadata });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.ReadJsonAsync())["errors"]!["metadata"]![0]!.GetValue<string>().ShouldContain("50");
        var fifty = Enumerable.Range(0, 50).ToDictionary(i => $"k{i}", i => "v");
        (await _client.PostAsJsonAsync("/v1/links", new { owner = new { id = "c" }, metadata = fifty })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("{bad json")]
    [InlineData("[]")]
    [InlineData("\"just a string\"")]
    [InlineData("")]
    public async Task MalformedJsonIsA400(string body)
    {
        var response = await _client.PostRawAsync("/v1/links", body);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.ReadJsonAsync())["status"]!.GetValue<int>().ShouldBe(400);
        await NothingWasWritten();
    }

    [Fact]
    public async Task AHugeBodyIsRefused()
    {
        var response = await _client.PostRawAsync("/v1/links", "{\"owner\":{\"id\":\"" + new string('x', 200_000) + "\"}}");
        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await response.ReadJsonAsync()).Str("code").ShouldBe("payload_too_large");
        await NothingWasWritten();
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=garbage", "cursor")]
    [InlineData("cursor=ZXZ0XzAxbTgwOHk4cm1kcjlhenlhYzQ3Z2dmZDlw", "cursor")]
    [InlineData("status=sleeping", "status")]
    [InlineData("kind=both", "kind")]
    public async Task BadListQueryIsA400NamingTheParameter(string query, string field)
    {
        var response = await _client.GetAsync("/v1/links?" + query);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.ReadJsonAsync())["errors"]!.AsObject().ContainsKey(field).ShouldBeTrue();
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"expires_in":60}""")]
    [InlineData("""{"expires_in":"later"}""")]
    [InlineData("""{"expires_in":600,"extra":true}""")]
    public async Task BadExtendBodyIsA400(string body)
    {
        var id = (await _client.CreateLinkAsync()).Str("id");
        var before = await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{id}");
        var response = await _client.PostRawAsync($"/v1/links/{id}/extend", body);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await _client.GetFromJsonAsync<JsonObject>($"/v1/links/{id}"))!.Str("expires_at").ShouldBe(before!.Str("expires_at"));
    }

    [Fact]
    public async Task ABadRegenerateBodyLeavesTheTokenAlone()
    {
        var created = await _client.CreateLinkAsync();
        var response = await _client.PostRawAsync($"/v1/links/{created.Str("id")}/regenerate", """{"expires_in":5}""");
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await using var db = _app.Db();
        db.Links.Single().TokenHash.ShouldBe(ConnectLinks.Security.OpaqueToken.Hash(created.Str("token")));
    }

    private async Task NothingWasWritten()
    {
        await using var db = _app.Db();
        db.Links.Count().ShouldBe(0);
        db.Events.Count().ShouldBe(0);
    }
}

using System.Text.Json.Nodes;

namespace ConnectLinks.Tests.Api;

public sealed class SettingsTests : IAsyncLifetime
{
    private readonly ConnectLinksApp _app = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync() => _client = await _app.ClientForAsync();
    public Task DisposeAsync() { _app.Dispose(); return Task.CompletedTask; }

    [Fact]
    public async Task PatchChangesOnlyTheFieldsSent()
    {
        var response = await _client.PatchAsJsonAsync("/v1/settings", new
        {
            default_link_ttl = 3600,
            allowed_redirect_origins = new[] { "https://App.Example.com", "http://localhost:3000" },
            default_redirect_uri = "https://app.example.com/connected",
            branding = new { name = "Acme", accent_color = "#4f46e5", logo_url = "https://cdn.example.com/logo.png", support_email = "help@acme.test" },
        });
        var settings = await response.ReadJsonAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, settings.ToJsonString());
        settings["allowed_redirect_origins"]!.AsArray().Select(o => o!.GetValue<string>()).ShouldBe(["https://app.example.com:443", "http://localhost:3000"]);

        (await _client.PatchAsJsonAsync("/v1/settings", new { branding = new { accent_color = "#000000" } })).EnsureSuccessStatusCode();
        var read = await _client.GetFromJsonAsync<JsonObject>("/v1/settings");
        read!["default_link_ttl"]!.GetValue<int>().ShouldBe(3600);
        read.Str("default_redirect_uri").ShouldBe("https://app.example.com/connected");
        read["branding"]!.Str("accent_color").ShouldBe("#000000");
        read["branding"]!.Str("name").ShouldBe("Acme");
    }

    [Theory]
    [InlineData("""{"default_link_ttl":10}""", "default_link_ttl")]
    [InlineData("""{"allowed_redirect_origins":["http://app.example.com"]}""", "allowed_redirect_origins")]
    [InlineData("""{"allowed_redirect_origins":["https://app.example.com/path"]}""", "allowed_redirect_origins")]
    [InlineData("""{"allowed_embed_origins":["not a url"]}""", "allowed_embed_origins")]
    [InlineData("""{"default_redirect_uri":"https://elsewhere.example.net/x"}""", "default_redirect_uri")]
    [InlineData("""{"branding":{"accent_color":"red"}}""", "branding.accent_color")]
    [InlineData("""{"branding":{"logo_url":"javascript:alert(1)"}}""", "branding.logo_url")]
    [InlineData("""{"branding":{"support_email":"nope"}}""", "branding.support_email")]
    [InlineData("""{"colour":"blue"}""", "colour")]
    public async Task BadSettingsAreA400AndChangeNothing(string body, string field)
    {
        var before = await _client.GetStringAsync("/v1/settings");
        var response = await _client.PatchAsync("/v1/settings", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.ReadJsonAsync())["errors"]!.AsObject().ContainsKey(field).ShouldBeTrue();
        (await _client.GetStringAsync("/v1/settings")).ShouldBe(before);
    }

    [Fact]
    public async Task RedirectOriginsTakeEffectAtOnce()
    {
        var body = new { owner = new { id = "c" }, redirect_uri = "https://shop.example.org/back" };
        (await _client.PostAsJsonAsync("/v1/links", body)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await _app.AllowRedirectsAsync(_client, "https://shop.example.org");
        (await _client.PostAsJsonAsync("/v1/links", body)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }
}

using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ConnectLinks.Tests.Infrastructure;

/// <summary>Small helpers to send raw JSON and read responses as JSON nodes.</summary>
public static class Json
{
    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string url, string body) =>
        client.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));

    public static async Task<JsonObject> ReadJsonAsync(this HttpResponseMessage response) =>
        (JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject)
        ?? throw new InvalidOperationException("The response is not a JSON object.");

    /// <summary>Posts a link for owner cust_1 with extra fields; asserts 201 and returns the body.</summary>
    public static async Task<JsonObject> CreateLinkAsync(this HttpClient client, object? extra = null)
    {
        var body = JsonSerializer.SerializeToNode(extra ?? new { })!.AsObject();
        if (!body.ContainsKey("connectors") && !body.ContainsKey("categories")) body.TryAdd("connector", "postgres");
        body.TryAdd("owner", new JsonObject { ["id"] = "cust_1" });
        var response = await client.PostAsJsonAsync("/v1/links", body);
        var json = await response.ReadJsonAsync();
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, json.ToJsonString());
        return json;
    }

    public static string Str(this JsonNode? node, string name) => node?[name]?.GetValue<string>() ?? throw new KeyNotFoundException(name);
}

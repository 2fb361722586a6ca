using System.Text.Json;
using ConnectLinks.Connectors.Testers;

namespace ConnectLinks.Tests.Connectors;

public class JsonPathAssertionTests
{
    private static readonly JsonElement Doc = JsonDocument.Parse("""{"data":{"items":[{"name":"a"},{"name":"b","ok":true}]},"odd key":1}""").RootElement;

    [Theory]
    [InlineData("$", true, null)]
    [InlineData("$.data.items[1].name", true, "b")]
    [InlineData("$.data.items[1].ok", true, "true")]
    [InlineData("$['odd key']", true, "1")]
    [InlineData("$.data.items[2]", false, null)]
    [InlineData("$.data.missing", false, null)]
    [InlineData("$.data.items.name", false, null)]
    public void FindsWhatThePathNames(string path, bool exists, string? text)
    {
        JsonPathAssertion.TryFind(Doc, path, out var found).ShouldBe(exists);
        if (text is not null)
        {
            JsonPathAssertion.AsText(found).ShouldBe(text);
        }
    }

    [Theory]
    [InlineData("data.items")]
    [InlineData("$..name")]
    [InlineData("$.items[*]")]
    public void UnsupportedPathsAreRejected(string path) =>
        Should.Throw<FormatException>(() => JsonPathAssertion.Parse(path));
}

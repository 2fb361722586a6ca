using AngleSharp.Dom;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using ConnectLinks.Tests.Connectors;

namespace ConnectLinks.Tests.Hosted;

/// <summary>An end customer's browser without JavaScript: fetches the link page and posts its form, cookies included.</summary>
public sealed partial class LinkPage(HttpClient browser, string url)
{
    public string Url { get; } = url;
    public string Path => new Uri(Url).AbsolutePath;
    public HttpResponseMessage? Response { get; private set; }
    public string Html { get; private set; } = "";
    public IHtmlDocument Document { get; private set; } = null!;

    public async Task<LinkPage> OpenAsync(string query = "")
    {
        await LoadAsync(await browser.GetAsync(Path + query));
        return this;
    }

    /// <summary>Submits the connector form as a browser would: every field's current value, overridden by <paramref name="values"/>.</summary>
    public async Task<LinkPage> SubmitAsync(Dictionary<string, string> values)
    {
        var form = Document.QuerySelector("form#connect-form") as IHtmlFormElement ?? throw new InvalidOperationException("No connect form on the page:\n" + Html);
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var input in form.QuerySelectorAll("input[type=hidden]").OfType<IHtmlInputElement>())
            fields.Add(new(input.Name!, input.Value));
        foreach (var (name, value) in values) fields.Add(new(name, value));
        await LoadAsync(await browser.PostAsync(form.GetAttribute("action"), new FormUrlEncodedContent(fields)));
        return this;
    }

    /// <summary>The same loaded page, submitted through another client (another instance behind a load balancer).</summary>
    public LinkPage Through(HttpClient other) => new(other, Url) { Response = Response, Html = Html, Document = Document };

    private async Task LoadAsync(HttpResponseMessage response)
    {
        Response = response;
        Html = await response.Content.ReadAsStringAsync();
        Document = new HtmlParser().ParseDocument(Html);
    }

    public string Heading => Document.QuerySelector("h1")?.TextContent.Trim() ?? "";
    public string[] CheckStatuses => [.. Document.QuerySelectorAll("ol.checks li.check").Select(li => li.ClassName!.Replace("check ", ""))];
    public string Text => Document.Body?.TextContent ?? "";

    /// <summary>The valid PostgreSQL credentials of the test server (scripts/servers/start.sh).</summary>
    public static Dictionary<string, string> PostgresCredentials(string? password = null) => new()
    {
        ["host"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_HOST"),
        ["port"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_PORT"),
        ["database"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_DATABASE"),
        ["username"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_USER"),
        ["password"] = password ?? ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_PASSWORD"),
        ["sslmode"] = "disable",
        ["schema"] = "public",
    };

    public static string TokenOf(string url) => TokenPattern().Match(url).Value;

    [GeneratedRegex("cl_[A-Za-z0-9_-]{43}")]
    private static partial Regex TokenPattern();
}

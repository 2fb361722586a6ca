using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ConnectLinks.Tests.OAuth;

/// <summary>A page as the simulated browser received it.</summary>
public sealed record BrowserPage(HttpResponseMessage Response, string Html, IHtmlDocument Document)
{
    public HttpStatusCode Status => Response.StatusCode;
    public string Heading => Document.QuerySelector("h1")?.TextContent.Trim() ?? "";
    public string Text => Document.Body?.TextContent ?? "";
}

/// <summary>
/// One end customer's browser without JavaScript: its own cookies for the ConnectLinks app (in-process) and for the
/// real oidc-provider. Redirects are followed by hand so each hop can be inspected.
/// </summary>
public sealed class OAuthBrowser : IDisposable
{
    public const string CallbackPrefix = "http://localhost/connect/oauth/callback";

    private readonly HttpClient _app;
    private readonly HttpClient _provider;

    public OAuthBrowser(ConnectLinksApp app)
    {
        _app = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        _provider = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() });
    }

    /// <summary>GETs a ConnectLinks page (absolute URL or path).</summary>
    public async Task<BrowserPage> GetAsync(string url) => await LoadAsync(await _app.GetAsync(PathOf(url)));

    /// <summary>Opens the link page and presses "Connect with …": returns the redirect to the provider.</summary>
    public async Task<(BrowserPage Page, HttpResponseMessage Start)> StartAsync(string linkUrl)
    {
        var page = await GetAsync(linkUrl);
        var form = page.Document.QuerySelector("form#oauth-form") as IHtmlFormElement
                   ?? throw new InvalidOperationException($"No OAuth form on the page ({page.Status}):\n{page.Html}");
        var fields = form.QuerySelectorAll("input[type=hidden]").OfType<IHtmlInputElement>().Select(i => new KeyValuePair<string, string>(i.Name!, i.Value)).ToList();
        var start = await _app.PostAsync(form.GetAttribute("action"), new FormUrlEncodedContent(fields));
        return (page, start);
    }

    /// <summary>Starts at the link and signs in at the provider as alice, consenting: returns the callback URL (not yet followed).</summary>
    public async Task<string> AuthorizeAsync(string linkUrl)
    {
        var (_, start) = await StartAsync(linkUrl);
        start.StatusCode.ShouldBe(HttpStatusCode.Redirect, await start.Content.ReadAsStringAsync());
        return await SignInAtProviderAsync(start.Headers.Location!.ToString());
    }

    /// <summary>Walks the provider's login and consent forms from an authorization URL until it redirects to the callback.</summary>
    public async Task<string> SignInAtProviderAsync(string authorizeUrl, bool deny = false)
    {
        var response = await _provider.GetAsync(authorizeUrl);
        for (var hop = 0; hop < 20; hop++)
        {
            if (response.Headers.Location is { } location)
            {
                var next = new Uri(response.RequestMessage!.RequestUri!, location).ToString();
                if (next.StartsWith(CallbackPrefix, StringComparison.Ordinal)) return next;
                response = await _provider.GetAsync(next);
                continue;
            }
            var html = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
            var page = response.RequestMessage!.RequestUri!;
            if (deny)
            {
                // devInteractions' "Cancel" link aborts the interaction: the provider answers error=access_denied.
                response = await _provider.GetAsync(new Uri(page, page.AbsolutePath.TrimEnd('/') + "/abort"));
                continue;
            }
            var form = new HtmlParser().ParseDocument(html).QuerySelector("form") as IHtmlFormElement
                       ?? throw new InvalidOperationException("The provider page has no form:\n" + html);
            var fields = form.QuerySelectorAll("input[name]").OfType<IHtmlInputElement>()
                .Select(i => new KeyValuePair<string, string>(i.Name!, i.Name switch { "login" => "alice", "password" => "any-password", _ => i.Value }))
                .ToList();
            response = await _provider.PostAsync(new Uri(page, form.GetAttribute("action") ?? page.ToString()), new FormUrlEncodedContent(fields));
        }
        throw new InvalidOperationException("The provider never redirected back to the callback.");
    }

    /// <summary>Follows the provider's redirect back to ConnectLinks.</summary>
    public Task<BrowserPage> ReturnAsync(string callbackUrl) => GetAsync(callbackUrl);

    /// <summary>The whole happy path: link page, provider sign-in and consent, callback.</summary>
    public async Task<BrowserPage> ConnectAsync(string linkUrl) => await ReturnAsync(await AuthorizeAsync(linkUrl));

    // Note: on Unix "/connect/…" parses as an absolute file: URI, so only http(s) URLs are cut down to their path.
    private static string PathOf(string url) => url.StartsWith("http", StringComparison.Ordinal) ? new Uri(url).PathAndQuery : url;

    private static async Task<BrowserPage> LoadAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        return new BrowserPage(response, html, new HtmlParser().ParseDocument(html));
    }

    public void Dispose()
    {
        _app.Dispose();
        _provider.Dispose();
    }
}

using ConnectLinks.Api;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Hosted.Pages;
using ConnectLinks.Links;
using ConnectLinks.OAuth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ConnectLinks.Hosted;

// The OAuth pages: POST /connect/{token}/oauth sends the customer to the provider; GET /connect/oauth/callback is
// where the provider sends them back. Error pages name what went wrong in plain words and offer to try again; they
// never show the code, the state, a token or the provider's free-text description.
public static partial class HostedPages
{
    /// <summary>The cookie that binds a round trip to the browser that started it (random; only its hash is stored).</summary>
    public const string BrowserCookie = "cl_oauth_browser";

    private static void MapOAuthPages(IEndpointRouteBuilder routes, RouteGroupBuilder group)
    {
        group.MapPost("/{token}/oauth", StartOAuth);
        // Outside the per-token group: the callback carries no link token, and all callbacks would share one bucket.
        routes.MapGet(OAuthFlow.CallbackPath, OAuthCallback).ExcludeFromDescription();
    }

    private static async Task<IResult> StartOAuth(string token, HttpContext http, ConnectFlow flow, OAuthFlow oauth, AppDbContext db, IAntiforgery antiforgery, CancellationToken ct)
    {
        var link = await flow.FindAsync(token, ct);
        if (link is null) return NotFoundPage();
        var branding = await BrandingOfAsync(http, db, link.OrganizationId, ct);
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : FormCollection.Empty;
        if (!await IsGenuinePostAsync(http, antiforgery, branding, link, form))
            return Notice(branding, "This form has expired", "Reload the page and try again.", StatusCodes.Status400BadRequest);
        if (flow.WhyUnusable(link) is { } why) return GonePage(branding, why);

        var connector = (await flow.AllowedConnectorsAsync(link, ct)).FirstOrDefault(c => c.Id == form["connector"].ToString() && c.OAuth2 is not null);
        if (connector is null)
            return Notice(branding, "Choose a system first", "The system you submitted is not one this link can connect.", StatusCodes.Status400BadRequest);

        var browserKey = http.Request.Cookies[BrowserCookie];
        if (!OAuthFlow.HasTokenShape(browserKey))
        {
            browserKey = OAuthFlow.RandomToken();
            // Lax, not Strict: the provider's redirect back is a cross-site top-level navigation, which Strict would strip.
            http.Response.Cookies.Append(BrowserCookie, browserKey, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, Path = "/connect", MaxAge = TimeSpan.FromDays(1), IsEssential = true,
            });
        }
        var callback = PublicUrl.Of(http) + OAuthFlow.CallbackPath;
        return await oauth.StartAsync(link, token, connector, browserKey!, callback, EventLog.Actor.From(http), ct) switch
        {
            OAuthStartOutcome.Redirect redirect => ToProvider(http, redirect.Url),
            OAuthStartOutcome.NotConfigured => Notice(branding, $"{connector.Name} is not set up yet",
                $"{branding.Name} has not finished setting up {connector.Name}. Ask them to try again later.", StatusCodes.Status409Conflict),
            _ => GonePage(branding, (await flow.FindAsync(token, ct)) is { } again ? flow.WhyUnusable(again) ?? LinkStatus.Completed : LinkStatus.Completed),
        };
    }

    private static async Task<IResult> OAuthCallback(HttpContext http, OAuthFlow oauth, ConnectFlow flow, AppDbContext db, IAntiforgery antiforgery, CancellationToken ct,
        string? state = null, string? code = null, string? error = null)
    {
        var outcome = await oauth.CallbackAsync(state, code, error, http.Request.Cookies[BrowserCookie], EventLog.Actor.From(http), ct);
        switch (outcome)
        {
            case OAuthCallbackOutcome.Invalid:
                return Notice(null, "This sign-in could not be completed",
                    "The answer from the sign-in page is not one we recognise. Open the link you were sent and start again.", StatusCodes.Status400BadRequest);
            case OAuthCallbackOutcome.WrongBrowser:
                return Notice(null, "Finish in the browser you started in",
                    "This sign-in was started in another browser or window. Open the link you were sent in this browser and start again.", StatusCodes.Status400BadRequest);
        }

        var back = outcome switch
        {
            OAuthCallbackOutcome.Replayed r => r.Return,
            OAuthCallbackOutcome.Expired r => r.Return,
            OAuthCallbackOutcome.LinkUnusable r => r.Return,
            OAuthCallbackOutcome.ProviderError r => r.Return,
            OAuthCallbackOutcome.ExchangeFailed r => r.Return,
            OAuthCallbackOutcome.Finished r => r.Return,
            _ => throw new InvalidOperationException($"Unexpected OAuth outcome {outcome.GetType().Name}."),
        };
        var (link, connector, token) = (back.Link, back.Connector, back.LinkToken);
        var branding = await BrandingOfAsync(http, db, link.OrganizationId, ct);
        var retry = $"/connect/{token}?connector={Uri.EscapeDataString(connector.Id)}";
        switch (outcome)
        {
            case OAuthCallbackOutcome.Replayed:
                return Notice(branding, "This sign-in was already used",
                    $"The answer from {connector.Name} arrived twice. If you are not connected yet, open the link again.", StatusCodes.Status400BadRequest,
                    flow.WhyUnusable(link) is null ? retry : null);
            case OAuthCallbackOutcome.Expired:
                return Notice(branding, "That took too long",
                    $"The sign-in at {connector.Name} took longer than we wait for. Nothing was connected; start again.", StatusCodes.Status400BadRequest, retry);
            case OAuthCallbackOutcome.LinkUnusable { Why: "replaced" }:
                return NotFoundPage();
            case OAuthCallbackOutcome.LinkUnusable unusable:
                return GonePage(branding, unusable.Why);
            case OAuthCallbackOutcome.ProviderError { Error: "access_denied" }:
                return Notice(branding, $"{connector.Name} access was not granted",
                    $"You declined (or {connector.Name} refused) access, so nothing was connected. You can try again.", StatusCodes.Status400BadRequest, retry);
            case OAuthCallbackOutcome.ProviderError providerError:
                return Notice(branding, $"{connector.Name} reported a problem",
                    $"{connector.Name} did not approve access ({providerError.Error}). Nothing was connected. You can try again.", StatusCodes.Status400BadRequest, retry);
            case OAuthCallbackOutcome.ExchangeFailed failed:
                return Notice(branding, $"{connector.Name} did not issue access",
                    $"Exchanging the approval with {connector.Name} failed ({failed.Error}). Nothing was connected. You can try again.", StatusCodes.Status502BadGateway, retry);
            case OAuthCallbackOutcome.Finished { Outcome: SubmitOutcome.TestFailed { Locked: true } }:
                return GonePage(branding, LinkStatus.Locked);
            case OAuthCallbackOutcome.Finished { Outcome: SubmitOutcome.TestFailed testFailed }:
                var choices = await flow.AllowedConnectorsAsync(link, ct);
                AllowFormActionTo(http, connector);
                return Page(PageModel(http, antiforgery, token, link, branding, choices, connector, null, null, new Dictionary<string, string?>()) with
                {
                    Checks = testFailed.Result.Checks, AttemptsLeft = testFailed.AttemptsLeft,
                }, StatusCodes.Status422UnprocessableEntity);
            case OAuthCallbackOutcome.Finished { Outcome: SubmitOutcome.Connected connected }:
                return await DoneAsync(db, branding, connector, [], connected, ct);
            default:
                return GonePage(branding, LinkStatus.Completed);
        }
    }

    // Note: not Results.Redirect, whose result executor logs the full URL (with the state) at Information level and below.
    private static IResult ToProvider(HttpContext http, string url)
    {
        http.Response.Headers.Location = url;
        return Results.StatusCode(StatusCodes.Status302Found);
    }

    private static RazorComponentResult<NoticePage> Notice(Branding? branding, string heading, string message, int status, string? continueUrl) =>
        new(new { Model = new NoticePageModel(branding, heading, message, continueUrl) }) { StatusCode = status };

    /// <summary>
    /// A page with a "Connect with …" form posts to this service, which redirects to the provider; browsers apply the
    /// page's CSP form-action to that redirect too, so the provider's origin is allowed on exactly that page.
    /// </summary>
    private static void AllowFormActionTo(HttpContext http, ConnectorDefinition connector)
    {
        var oauth = http.RequestServices.GetRequiredService<TokenEndpoint>();
        if (!Uri.TryCreate(oauth.AuthorizationUrl(connector), UriKind.Absolute, out var url)) return;
        var origin = url.GetLeftPart(UriPartial.Authority);
        var csp = http.Response.Headers.ContentSecurityPolicy.ToString();
        if (csp.Contains("form-action 'self'", StringComparison.Ordinal))
            http.Response.Headers.ContentSecurityPolicy = csp.Replace("form-action 'self'", $"form-action 'self' {origin}", StringComparison.Ordinal);
    }
}

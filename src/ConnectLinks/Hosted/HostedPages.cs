using System.Text.RegularExpressions;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Hosted.Pages;
using ConnectLinks.Links;
using ConnectLinks.Organizations;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Hosted;

/// <summary>
/// The end customer's pages (SPEC §5): <c>GET /connect/{token}</c> shows the picker or a form, <c>POST</c> tests
/// and stores, <c>POST …/cancel</c> goes back. Server-rendered, working without JavaScript.
/// </summary>
public static partial class HostedPages
{
    public const string TokenPolicy = "hosted-token";
    private const int MaxFormFields = 64;

    public static RouteGroupBuilder MapHostedPages(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/connect").ExcludeFromDescription().RequireRateLimiting(TokenPolicy);
        group.MapGet("/{token}", Show);
        group.MapPost("/{token}", Submit);
        group.MapGet("/{token}/cancel", Cancel);
        MapOAuthPages(routes, group);
        routes.MapGet("/hosted/theme.css", Theme).ExcludeFromDescription();
        return group;
    }

    private static async Task<IResult> Show(string token, HttpContext http, ConnectFlow flow, AppDbContext db, IAntiforgery antiforgery,
        CancellationToken ct, string? connector = null, string? q = null, string? category = null)
    {
        var link = await flow.FindAsync(token, ct);
        if (link is null) return NotFoundPage();
        var branding = await BrandingOfAsync(http, db, link.OrganizationId, ct);
        if (flow.WhyUnusable(link) is { } why) return GonePage(branding, why);
        await flow.MarkOpenedAsync(link, EventLog.Actor.From(http), ct);

        var choices = await flow.AllowedConnectorsAsync(link, ct);
        var chosen = connector is not null ? choices.FirstOrDefault(c => c.Id == connector)
            : choices.Count == 1 ? choices[0] : null;
        var values = link.Prefill.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        string? oauthTarget = null;
        if (chosen is { OAuth2: not null })
        {
            AllowFormActionTo(http, chosen);
            // Providers refuse to be framed: embedded, the sign-in takes the whole window and ends at redirect_uri, or,
            // with nowhere to go back to, runs in a new window so the partner's page stays where it is.
            if (branding.EmbedOrigin is not null) oauthTarget = await RedirectBaseAsync(db, link, ct) is null ? "_blank" : "_top";
        }
        return Page(PageModel(http, antiforgery, token, link, branding, choices, chosen, q, category, values) with { OAuthTarget = oauthTarget });
    }

    private static async Task<IResult> Submit(string token, HttpContext http, ConnectFlow flow, AppDbContext db, IAntiforgery antiforgery,
        ConnectorCatalog catalog, CancellationToken ct)
    {
        var link = await flow.FindAsync(token, ct);
        if (link is null) return NotFoundPage();
        var branding = await BrandingOfAsync(http, db, link.OrganizationId, ct);
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(ct) : FormCollection.Empty;
        if (!await IsGenuinePostAsync(http, antiforgery, branding, link, form))
            return Notice(branding, "This form has expired", "Reload the page and submit the form again.", StatusCodes.Status400BadRequest);
        if (flow.WhyUnusable(link) is { } why) return GonePage(branding, why);

        var choices = await flow.AllowedConnectorsAsync(link, ct);
        var connector = choices.FirstOrDefault(c => c.Id == form["connector"].ToString());
        if (connector is null)
            return Notice(branding, "Choose a system first", "The system you submitted is not one this link can connect.", StatusCodes.Status400BadRequest);
        if (connector.AuthMode == "oauth2")
            return Notice(branding, "Sign in instead", $"{connector.Name} connects by signing in there: use the 'Connect with {connector.Name}' button.", StatusCodes.Status400BadRequest);
        var values = new Dictionary<string, string?>();
        foreach (var (name, value) in form)
        {
            if (name is "connector" || name.StartsWith("__", StringComparison.Ordinal)) continue;
            if (values.Count >= MaxFormFields) break;
            // A checkbox posts a hidden "false" then "true" when ticked: the last value wins.
            values[name] = value.Count > 0 ? value[^1] : null;
        }

        var outcome = await flow.SubmitAsync(link, connector, values, EventLog.Actor.From(http), ct);
        var typed = values.Where(kv => connector.FindField(kv.Key) is { Secret: false }).ToDictionary();
        switch (outcome)
        {
            case SubmitOutcome.Invalid invalid:
                return Page(PageModel(http, antiforgery, token, link, branding, choices, connector, null, null, typed) with { Errors = invalid.Errors },
                    StatusCodes.Status422UnprocessableEntity);
            case SubmitOutcome.TestFailed { Locked: true }:
                return GonePage(branding, LinkStatus.Locked);
            case SubmitOutcome.TestFailed failed:
                return Page(PageModel(http, antiforgery, token, link, branding, choices, connector, null, null, typed) with
                {
                    Checks = failed.Result.Checks, AttemptsLeft = failed.AttemptsLeft,
                }, StatusCodes.Status422UnprocessableEntity);
            case SubmitOutcome.Connected connected:
                var summary = connector.Fields.Where(f => !f.Secret && connected.Connection.Config.ContainsKey(f.Name) && f.Type != "boolean")
                    .Select(f => (f.Label, connected.Connection.Config[f.Name])).ToList();
                return await DoneAsync(db, branding, connector, summary, connected, ct);
            default:
                return GonePage(branding, LinkStatus.Completed);
        }
    }

    /// <summary>A plain GET: cancelling changes nothing (the link stays usable), it only sends the customer back.</summary>
    private static async Task<IResult> Cancel(string token, HttpContext http, ConnectFlow flow, AppDbContext db, CancellationToken ct)
    {
        var link = await flow.FindAsync(token, ct);
        if (link is null) return NotFoundPage();
        var branding = await BrandingOfAsync(http, db, link.OrganizationId, ct);
        // Embedded, the partner's page closes the frame on "exit"; sending the frame to redirect_uri would nest the app in itself.
        if (branding.EmbedOrigin is not null)
            return Notice(branding, "Cancelled", "Nothing was connected.", embed: new EmbedMessage("exit", link.Id));
        var redirect = await RedirectBaseAsync(db, link, ct);
        return redirect is null
            ? Notice(branding, "Cancelled", "Nothing was connected. You can close this window, or open the link again later.")
            : Results.Redirect(WithQuery(redirect, ("status", "cancelled"), ("link_id", link.Id)), permanent: false, preserveMethod: false);
    }

    /// <summary>The organization's accent colour as a CSS variable; a stylesheet so the pages need no inline style.</summary>
    private static IResult Theme(HttpContext http, string? accent = null)
    {
        var colour = accent is not null && HexColour().IsMatch(accent) ? accent : Branding.DefaultAccent;
        http.Response.Headers.CacheControl = "public, max-age=86400";
        return Results.Text($":root {{ --accent: {colour}; }}\n", "text/css");
    }

    private static ConnectPageModel PageModel(HttpContext http, IAntiforgery antiforgery, string token, Link link, Branding branding,
        IReadOnlyList<ConnectorDefinition> choices, ConnectorDefinition? chosen, string? q, string? category, IReadOnlyDictionary<string, string?> values)
    {
        // Embedded pages get no SameSite cookie back in a cross-site frame: their forms carry a token of their own.
        var (field, formToken) = branding.EmbedOrigin is not null
            ? (EmbedMode.FormField, EmbedMode.FormToken(http, link))
            : antiforgery.GetAndStoreTokens(http) is var tokens ? (tokens.FormFieldName, tokens.RequestToken!) : default;
        var shown = choices.AsEnumerable();
        if (!string.IsNullOrWhiteSpace(q))
            shown = shown.Where(c => c.Name.Contains(q.Trim(), StringComparison.OrdinalIgnoreCase) || c.Id.Contains(q.Trim(), StringComparison.OrdinalIgnoreCase));
        if (!string.IsNullOrEmpty(category)) shown = shown.Where(c => c.Category == category);
        var what = chosen?.Name ?? (choices.Count == 1 ? choices[0].Name : "a system");
        var use = link.Kind == LinkKind.Source ? "read data from it" : "send data to it";
        return new ConnectPageModel
        {
            Branding = branding,
            Token = token,
            Title = link.Title ?? $"Connect {what}",
            Purpose = chosen?.AuthMode == "oauth2"
                ? $"{branding.Name} asks you to connect {what} so it can {use}. You sign in at {what} and approve access there; we test the access right away, then store it encrypted for {branding.Name}."
                : $"{branding.Name} asks you to connect {what} so it can {use}. We test the credentials you enter right away, then store them encrypted for {branding.Name}.",
            AntiforgeryField = field,
            AntiforgeryToken = formToken,
            LinkId = link.Id,
            Choices = chosen is null ? [.. shown] : choices,
            Categories = [.. choices.Select(c => c.Category).Distinct()],
            Query = q,
            Category = category,
            Connector = chosen,
            Values = values,
        };
    }

    private static RazorComponentResult<ConnectPage> Page(ConnectPageModel model, int status = StatusCodes.Status200OK) =>
        new(new { Model = model }) { StatusCode = status };

    private static RazorComponentResult<NoticePage> Notice(Branding? branding, string heading, string message, int status = StatusCodes.Status200OK,
        EmbedMessage? embed = null) =>
        new(new { Model = new NoticePageModel(branding, heading, message, Embed: embed) }) { StatusCode = status };

    /// <summary>One page per dead state, all 410. They name the organization, never the token or its history.</summary>
    private static IResult GonePage(Branding branding, string why)
    {
        var embed = new EmbedMessage("error", Error: why == LinkStatus.Completed ? "used" : why);
        return why switch
        {
            LinkStatus.Expired => Notice(branding, "This link has expired", $"Ask {branding.Name} to send you a new link.", StatusCodes.Status410Gone, embed),
            LinkStatus.Revoked => Notice(branding, "This link is no longer active", $"{branding.Name} has withdrawn it. Ask them for a new link if you still need to connect.", StatusCodes.Status410Gone, embed),
            LinkStatus.Locked => Notice(branding, "This link is locked", $"There were too many failed attempts. Ask {branding.Name} to send you a new link.", StatusCodes.Status410Gone, embed),
            _ => Notice(branding, "This link has already been used", $"The connection was made. If you need to change it, ask {branding.Name} for a new link.", StatusCodes.Status410Gone, embed),
        };
    }

    /// <summary>The success page: back to the partner's redirect_uri, or, embedded, a "success" message to its page.</summary>
    private static async Task<IResult> DoneAsync(AppDbContext db, Branding branding, ConnectorDefinition connector,
        IReadOnlyList<(string Label, string Value)> summary, SubmitOutcome.Connected connected, CancellationToken ct)
    {
        var link = connected.Link;
        var embedded = branding.EmbedOrigin is not null;
        var redirect = embedded ? null : await RedirectBaseAsync(db, link, ct);
        var continueUrl = redirect is null ? null : WithQuery(redirect, ("status", "success"), ("link_id", link.Id), ("connection_id", connected.Connection.Id));
        var embed = embedded ? new EmbedMessage("success", link.Id, connected.Connection.Id) : null;
        return new RazorComponentResult<DonePage>(new { Model = new DonePageModel(branding, connector.Name, summary, connected.Result.Checks, continueUrl, embed) });
    }

    /// <summary>Anti-forgery: the cookie pair on a normal page, the embedded form token on an embedded one.</summary>
    private static async Task<bool> IsGenuinePostAsync(HttpContext http, IAntiforgery antiforgery, Branding branding, Link link, IFormCollection form) =>
        branding.EmbedOrigin is not null ? EmbedMode.IsValidPost(http, link, form) : await antiforgery.IsRequestValidAsync(http);

    /// <summary>Unknown tokens: the same page whatever the token, with no hint whether it ever existed.</summary>
    private static IResult NotFoundPage() =>
        Notice(null, "Link not found", "Check that you copied the whole link, or ask the sender for a new one.", StatusCodes.Status404NotFound);

    /// <summary>The organization's branding, and whether this request may show the page embedded (see <see cref="EmbedMode"/>).</summary>
    private static async Task<Branding> BrandingOfAsync(HttpContext http, AppDbContext db, string organizationId, CancellationToken ct)
    {
        var org = await OrganizationById(db, organizationId, ct) ?? throw new InvalidOperationException("A link without its organization.");
        return new Branding(org.BrandingName ?? org.Name, org.BrandingLogoUrl, org.BrandingAccentColor ?? Branding.DefaultAccent, org.BrandingSupportEmail)
        {
            EmbedOrigin = EmbedMode.Resolve(http, org.AllowedEmbedOrigins),
        };
    }

    // Compiled: every hosted page shows the organization's branding.
    private static readonly Func<AppDbContext, string, CancellationToken, Task<Organization?>> OrganizationById =
        EF.CompileAsyncQuery((AppDbContext db, string id, CancellationToken ct) => db.Organizations.AsNoTracking().FirstOrDefault(o => o.Id == id));

    private static async Task<string?> RedirectBaseAsync(AppDbContext db, Link link, CancellationToken ct) =>
        link.RedirectUri ?? await db.Organizations.AsNoTracking().Where(o => o.Id == link.OrganizationId).Select(o => o.DefaultRedirectUri).FirstOrDefaultAsync(ct);

    /// <summary>Adds parameters to a URL, keeping its own query. Only ids and a status: never a secret.</summary>
    public static string WithQuery(string url, params (string Name, string Value)[] parameters)
    {
        var add = string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));
        return url + (url.Contains('?') ? (url.EndsWith('?') || url.EndsWith('&') ? "" : "&") : "?") + add;
    }

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex HexColour();
}

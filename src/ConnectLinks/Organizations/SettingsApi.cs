using System.Net.Mail;
using System.Text.RegularExpressions;
using ConnectLinks.Api;
using ConnectLinks.Data;
using ConnectLinks.Links;
using ConnectLinks.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Organizations;

/// <summary>The organization's settings: link defaults, allowed origins and the hosted page's branding.</summary>
public sealed record SettingsView(
    int DefaultLinkTtl, string? DefaultRedirectUri, string[] AllowedRedirectOrigins, string[] AllowedEmbedOrigins, BrandingView Branding)
{
    public static SettingsView From(Organization o) => new(o.DefaultLinkTtlSeconds, o.DefaultRedirectUri, o.AllowedRedirectOrigins,
        o.AllowedEmbedOrigins, new BrandingView(o.BrandingName ?? o.Name, o.BrandingLogoUrl, o.BrandingAccentColor, o.BrandingSupportEmail));
}

public sealed record BrandingView(string? Name, string? LogoUrl, string? AccentColor, string? SupportEmail);

/// <summary>PATCH body: a field left out stays as it is; an empty string clears a text field, [] clears a list.</summary>
public sealed record SettingsPatch(
    long? DefaultLinkTtl = null, string? DefaultRedirectUri = null, string[]? AllowedRedirectOrigins = null,
    string[]? AllowedEmbedOrigins = null, BrandingView? Branding = null);

public static partial class SettingsApi
{
    public const int MaxOrigins = 20;

    public static RouteGroupBuilder MapSettings(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/settings").WithTags("Settings").RequireApiKey();
        group.MapGet("/", Get).WithName("GetSettings").WithSummary("The organization's settings");
        group.MapPatch("/", Patch).WithName("UpdateSettings").RequireAuthorization(Scopes.SettingsWrite)
            .WithSummary("Change settings; fields left out stay as they are");
        return group;
    }

    private static async Task<Results<Ok<SettingsView>, ProblemHttpResult>> Get(HttpContext http, AppDbContext db, CancellationToken ct)
    {
        var org = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == http.Caller().OrganizationId, ct);
        return org is null ? Problems.NotFound("organization") : TypedResults.Ok(SettingsView.From(org));
    }

    private static async Task<Results<Ok<SettingsView>, ProblemHttpResult>> Patch(
        SettingsPatch patch, HttpContext http, AppDbContext db, ApiKeyStore keys, CancellationToken ct)
    {
        var org = await db.Organizations.FirstOrDefaultAsync(o => o.Id == http.Caller().OrganizationId, ct);
        if (org is null) return Problems.NotFound("organization");
        var errors = new Dictionary<string, string[]>();

        if (patch.DefaultLinkTtl is { } ttl)
        {
            LinkRules.ExpiresIn(ttl, "default_link_ttl", errors);
            if (!errors.ContainsKey("default_link_ttl")) org.DefaultLinkTtlSeconds = (int)ttl;
        }
        if (patch.AllowedRedirectOrigins is { } redirect && ParseOrigins(redirect, "allowed_redirect_origins", errors) is { } r)
            org.AllowedRedirectOrigins = r;
        if (patch.AllowedEmbedOrigins is { } embed && ParseOrigins(embed, "allowed_embed_origins", errors) is { } e)
            org.AllowedEmbedOrigins = e;
        if (patch.DefaultRedirectUri is { } uri)
        {
            // Checked after the origins so one PATCH can add an origin and a default redirect on it.
            if (uri == "") org.DefaultRedirectUri = null;
            else if (Origins.CheckRedirect(uri, org.AllowedRedirectOrigins) is { } error) errors["default_redirect_uri"] = [error];
            else org.DefaultRedirectUri = uri;
        }
        if (patch.Branding is { } b)
        {
            if (b.Name is not null) { if (b.Name.Length > LinkRules.MaxTextLength) errors["branding.name"] = [$"must be at most {LinkRules.MaxTextLength} characters."]; else org.BrandingName = Blank(b.Name); }
            if (b.LogoUrl is not null)
            {
                if (b.LogoUrl != "" && (b.LogoUrl.Length > Origins.MaxUrlLength || !Uri.TryCreate(b.LogoUrl, UriKind.Absolute, out var logo) || logo.Scheme != "https"))
                    errors["branding.logo_url"] = ["must be an absolute https URL."];
                else org.BrandingLogoUrl = Blank(b.LogoUrl);
            }
            if (b.AccentColor is not null)
            {
                if (b.AccentColor != "" && !HexColor().IsMatch(b.AccentColor)) errors["branding.accent_color"] = ["must be a hex colour such as #4f46e5."];
                else org.BrandingAccentColor = Blank(b.AccentColor);
            }
            if (b.SupportEmail is not null)
            {
                if (b.SupportEmail != "" && (b.SupportEmail.Length > 320 || !MailAddress.TryCreate(b.SupportEmail, out var mail) || mail.Address != b.SupportEmail))
                    errors["branding.support_email"] = ["must be an email address."];
                else org.BrandingSupportEmail = Blank(b.SupportEmail);
            }
        }
        if (errors.Count > 0) return Problems.Validation(errors);
        await db.SaveChangesAsync(ct);
        keys.ForgetAll(); // cached keys carry the organization's settings
        return TypedResults.Ok(SettingsView.From(org));
    }

    private static string[]? ParseOrigins(string[] values, string field, Dictionary<string, string[]> errors)
    {
        if (values.Length > MaxOrigins) { errors[field] = [$"must have at most {MaxOrigins} origins."]; return null; }
        var parsed = new List<string>();
        foreach (var value in values)
        {
            var (origin, error) = value is null ? (null, "must be a string.") : Origins.ParseOrigin(value);
            if (error is not null) { errors[field] = [$"'{value}' {error}"]; return null; }
            if (!parsed.Contains(origin!)) parsed.Add(origin!);
        }
        return [.. parsed];
    }

    private static string? Blank(string value) => value == "" ? null : value;

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex HexColor();
}

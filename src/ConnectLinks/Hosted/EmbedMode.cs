using System.Security.Cryptography;
using System.Text;
using ConnectLinks.Api;
using ConnectLinks.Links;
using ConnectLinks.Organizations;
using Microsoft.AspNetCore.DataProtection;

namespace ConnectLinks.Hosted;

/// <summary>
/// Embedded mode (SPEC §5): <c>/connect.js</c> opens the link page in an iframe on the partner's page with
/// <c>?embed=&lt;the partner page's origin&gt;</c>. When the organization lists that origin in
/// <c>allowed_embed_origins</c>, the page may be framed by it (and only it), and tells it how the flow went with
/// <c>postMessage</c> to exactly that origin. Any other origin gets the normal page, which no one may frame.
/// </summary>
/// <remarks>
/// A cross-site iframe gets no SameSite cookies (and Safari none at all), so the cookie-based anti-forgery token
/// cannot work there. Embedded forms carry their own token instead: the link's id and token hash, protected and
/// time-limited with the service's data-protection keys (shared through the database, so any instance can check it),
/// and a POST must say it comes from this service's own pages (Sec-Fetch-Site: same-origin, no foreign Origin). Like the cookie pair, it proves the form was served by us
/// for this very link; the link token in the URL is still needed to post at all.
/// </remarks>
public static class EmbedMode
{
    public const string QueryKey = "embed";
    public const string FormField = "__embed";
    private static readonly TimeSpan FormLifetime = TimeSpan.FromHours(2);

    /// <summary>
    /// The origin to embed for, in browser form (<c>https://app.example.com</c>), when this request asks for embedded
    /// mode from an origin the organization allows; null otherwise. Also opens the response's framing to it.
    /// </summary>
    public static string? Resolve(HttpContext http, IReadOnlyCollection<string> allowedOrigins)
    {
        var asked = http.Request.Query[QueryKey].ToString();
        if (asked.Length == 0 || asked.Length > Origins.MaxUrlLength) return null;
        var (origin, error) = Origins.ParseOrigin(asked);
        if (error is not null || !allowedOrigins.Contains(origin!, StringComparer.Ordinal)) return null;
        var browserOrigin = new Uri(origin!).GetLeftPart(UriPartial.Authority);
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = headers.ContentSecurityPolicy.ToString()
            .Replace("frame-ancestors 'none'", "frame-ancestors " + browserOrigin, StringComparison.Ordinal);
        headers.Remove("X-Frame-Options"); // it cannot name an origin; frame-ancestors above does
        return browserOrigin;
    }

    /// <summary><paramref name="path"/> with the embed parameter added when the page is embedded.</summary>
    public static string Url(string path, string? embedOrigin, string? query = null)
    {
        var parts = new List<string>(2);
        if (query is not null) parts.Add(query);
        if (embedOrigin is not null) parts.Add($"{QueryKey}={Uri.EscapeDataString(embedOrigin)}");
        return parts.Count == 0 ? path : path + "?" + string.Join('&', parts);
    }

    /// <summary>The form token of an embedded page for <paramref name="link"/> (its current token only).</summary>
    public static string FormToken(HttpContext http, Link link) =>
        Protector(http).Protect(link.Id + "\n" + link.TokenHash, FormLifetime);

    /// <summary>Whether an embedded POST carries a valid form token for <paramref name="link"/> and comes from this service's pages.</summary>
    public static bool IsValidPost(HttpContext http, Link link, IFormCollection form)
    {
        // Browsers name where a form post comes from with Sec-Fetch-Site; it is required here, since without the
        // SameSite cookie nothing else ties the post to our own page (browsers without it, such as Safari before
        // 16.4, cannot use embedded mode). Origin is "null" on our own pages (their Referrer-Policy is no-referrer),
        // so only a real origin other than ours counts against a post.
        if (http.Request.Headers["Sec-Fetch-Site"].ToString() != "same-origin") return false;
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && origin != "null" && !string.Equals(origin, PublicUrl.Of(http), StringComparison.OrdinalIgnoreCase)
            && !string.Equals(origin, $"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase))
            return false;
        try
        {
            var expected = Encoding.UTF8.GetBytes(link.Id + "\n" + link.TokenHash);
            var actual = Encoding.UTF8.GetBytes(Protector(http).Unprotect(form[FormField].ToString()));
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return false; // missing, tampered, expired, or from keys this service no longer has
        }
    }

    private static ITimeLimitedDataProtector Protector(HttpContext http) =>
        http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector("ConnectLinks.Hosted.EmbeddedForm.v1").ToTimeLimitedDataProtector();
}

using System.Net;

namespace ConnectLinks.Organizations;

/// <summary>Rules for the URLs a partner hands us: redirect targets and allowed origins (SPEC §4).</summary>
public static class Origins
{
    public const int MaxUrlLength = 2048;

    /// <summary>
    /// Normalizes <c>https://host[:port]</c> (or http on loopback) to scheme://host:port, or returns an error.
    /// A path, query or fragment is refused: an origin is only where a browser comes from.
    /// </summary>
    public static (string? Origin, string? Error) ParseOrigin(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            return (null, "must be an origin such as https://app.example.com.");
        if (uri.AbsolutePath != "/" || uri.Query != "" || uri.Fragment != "" || uri.UserInfo != "")
            return (null, "must be an origin only (scheme, host and port), with no path, query or fragment.");
        if (uri.Scheme == "http" && !IsLoopback(uri))
            return (null, "must use https (http is allowed only for localhost).");
        return (OriginOf(uri), null);
    }

    /// <summary>Checks an absolute redirect URI against the organization's allowed origins.</summary>
    public static string? CheckRedirect(string value, IReadOnlyCollection<string> allowedOrigins)
    {
        if (value.Length > MaxUrlLength) return $"must be at most {MaxUrlLength} characters.";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            return "must be an absolute https URL.";
        if (uri.UserInfo != "") return "must not contain a user name or password.";
        if (uri.Fragment != "") return "must not contain a fragment (#…).";
        if (uri.Scheme == "http" && !IsLoopback(uri)) return "must use https (http is allowed only for localhost).";
        if (allowedOrigins.Count == 0)
            return "is not allowed: add its origin to settings.allowed_redirect_origins first.";
        var origin = OriginOf(uri);
        return allowedOrigins.Contains(origin, StringComparer.Ordinal)
            ? null
            : $"has origin {origin}, which is not in settings.allowed_redirect_origins.";
    }

    /// <summary>Checks a URL the service will call (a per-link webhook): absolute https, or http on loopback.</summary>
    public static string? CheckCallbackUrl(string value)
    {
        if (value.Length > MaxUrlLength) return $"must be at most {MaxUrlLength} characters.";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            return "must be an absolute https URL.";
        if (uri.UserInfo != "") return "must not contain a user name or password.";
        if (uri.Scheme == "http" && !IsLoopback(uri)) return "must use https (http is allowed only for localhost).";
        return null;
    }

    private static string OriginOf(Uri uri) => $"{uri.Scheme}://{uri.IdnHost.ToLowerInvariant()}:{uri.Port}";

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

namespace ConnectLinks.Api;

/// <summary>The base URL end customers reach the service on: <c>ConnectLinks:PublicUrl</c>, else this request's own.</summary>
public static class PublicUrl
{
    public static string Of(HttpContext http)
    {
        var configured = http.RequestServices.GetRequiredService<IConfiguration>()["ConnectLinks:PublicUrl"];
        return string.IsNullOrEmpty(configured)
            ? $"{http.Request.Scheme}://{http.Request.Host}"
            : configured.TrimEnd('/');
    }
}

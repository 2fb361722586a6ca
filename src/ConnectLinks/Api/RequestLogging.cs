using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ConnectLinks.Api;

/// <summary>
/// One structured log line per request with the path redacted: <c>/connect/{token}</c> never reaches a log.
/// ASP.NET Core's own request lines (which print the raw URL) are turned down to warnings in Program.
/// The Authorization header and query strings are never logged. Successful fast requests log at Debug (a line per
/// request costs more than the request itself at API rates); errors and requests slower than a second at Information.
/// </summary>
public sealed partial class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    private static readonly TimeSpan SlowRequest = TimeSpan.FromSeconds(1);

    public async Task InvokeAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        try { await next(http); }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var level = http.Response.StatusCode >= 400 || elapsed > SlowRequest ? LogLevel.Information : LogLevel.Debug;
            if (logger.IsEnabled(level))
                logger.Log(level, "{Method} {Path} answered {Status} in {Elapsed:0.0} ms", http.Request.Method,
                    SafePath(http.Request.Path), http.Response.StatusCode, elapsed.TotalMilliseconds);
        }
    }

    /// <summary>The path with any link token replaced by <c>[redacted]</c>.</summary>
    public static string SafePath(PathString path) => TokenLike().Replace(path.Value ?? "", "[redacted]");

    [GeneratedRegex("cl[k]?_[A-Za-z0-9_-]{8,}")]
    private static partial Regex TokenLike();
}

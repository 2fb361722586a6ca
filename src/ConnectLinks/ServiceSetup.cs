using ConnectLinks.Api;
using ConnectLinks.Hosted;
using ConnectLinks.Links;
using ConnectLinks.Operations;
using Microsoft.AspNetCore.Http.Json;

namespace ConnectLinks;

/// <summary>Cross-cutting set-up: configuration sources, JSON, errors, logging, the middleware order.</summary>
public static class ServiceSetup
{
    /// <summary>
    /// Drops an explicit <c>serve</c>, maps <c>--data-dir</c> onto <c>ConnectLinks:DataDir</c>, and turns off reloading
    /// configuration files on change: that watches the content root recursively, and with the SQLite data directory
    /// below it every database write woke the watcher (8 % of the CPU of POST /v1/links in a profile).
    /// </summary>
    public static string[] ServeArguments(string[] args)
    {
        var rest = args.Length > 0 && args[0] == "serve" ? args[1..] : args;
        var mapped = rest.Select(a => a == "--data-dir" ? "--ConnectLinks:DataDir" : a.StartsWith("--data-dir=") ? "--ConnectLinks:DataDir=" + a["--data-dir=".Length..] : a);
        return rest.Any(a => a.Contains("reloadConfigOnChange", StringComparison.OrdinalIgnoreCase))
            ? [.. mapped]
            : ["--hostBuilder:reloadConfigOnChange=false", .. mapped];
    }

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls("http://127.0.0.1:5080");
        // ASP.NET Core's own request lines print raw URLs, which hold link tokens: RequestLogging logs redacted ones instead.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddHostedService<FirstStart>(); // before any other hosted service: it migrates the database
        services.Configure<JsonOptions>(o => JsonDefaults.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // so ApiExceptionHandler can name the bad field
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi();
        return builder;
    }

    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseMiddleware<RequestLogging>();
        app.UseHostedPageHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            var status = context.HttpContext.Response.StatusCode;
            var code = Problems.CodeForStatus(status);
            var detail = status switch
            {
                401 => "Send a valid API key as 'Authorization: Bearer clk_…'.",
                403 => "This API key lacks the scope this endpoint needs.",
                404 => "There is nothing at this address.",
                405 => "This address does not accept that method.",
                _ => "The request could not be served.",
            };
            await Problems.Error(code, detail).ExecuteAsync(context.HttpContext);
        });
        app.Use(async (http, next) =>
        {
            // Refuse an oversized API body from its declared length before anything reads it; Kestrel's per-endpoint
            // limit (RequestSizeLimit metadata) still caps bodies sent without a length.
            if (http.Request.ContentLength > ApiRouting.MaxBodyBytes && http.Request.Path.StartsWithSegments("/v1"))
            {
                await Problems.Error("payload_too_large", $"The request body is larger than {ApiRouting.MaxBodyBytes / 1024} KiB.").ExecuteAsync(http);
                return;
            }
            await next(http);
        });
        // Static files live under /docs and /hosted (and /connect.js) only; API requests skip the file-system lookups.
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/docs") || http.Request.Path.StartsWithSegments("/hosted")
            || http.Request.Path.Equals("/connect.js", StringComparison.Ordinal), files =>
        {
            files.UseDefaultFiles();
            files.UseStaticFiles();
        });
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseMiddleware<IdempotencyMiddleware>();
        return app;
    }

    public static IServiceCollection AddLinks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<LinkCatalogRules>();
        services.AddSingleton(configuration.GetSection("ConnectLinks:Sweep").Get<SweepOptions>() ?? new SweepOptions());
        services.AddSingleton<LinkExpirySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<LinkExpirySweeper>());
        return services;
    }
}

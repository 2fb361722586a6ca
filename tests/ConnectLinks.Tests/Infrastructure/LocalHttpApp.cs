using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConnectLinks.Tests.Infrastructure;

/// <summary>
/// A small real HTTP server (Kestrel) for a test to play another party: a webhook receiver, a customer's API, a
/// partner's web page. On 127.0.0.1 and a free port, or on <c>localhost:port</c> when a port is given (another
/// site than the service's 127.0.0.1, for cross-site tests).
/// </summary>
public static class LocalHttpApp
{
    /// <summary>Starts an app with the endpoints <paramref name="map"/> adds; returns it and its base URL (no trailing slash).</summary>
    public static async Task<(WebApplication App, string BaseUrl)> StartAsync(Action<WebApplication> map, int? localhostPort = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            if (localhostPort is { } port) k.ListenLocalhost(port);
            else k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        if (localhostPort is { } p) return (app, $"http://localhost:{p}");
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address).GetLeftPart(UriPartial.Authority));
    }
}

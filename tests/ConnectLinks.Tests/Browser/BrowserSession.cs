using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ConnectLinks.Tests.Browser;

/// <summary>
/// The real service on Kestrel at a loopback port plus a headless Debian Chromium driven by Playwright.
/// One per test: <c>await using var browser = await BrowserSession.StartAsync();</c>, then
/// <see cref="NewPageAsync"/>, <see cref="Url"/>, <see cref="ScreenshotAsync"/>. Pages record console errors and
/// uncaught exceptions (a script blocked by the Content-Security-Policy shows up there): see <see cref="Errors"/>.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    // The flags this machine needs (see the environment notes): without the background-networking ones Chromium
    // keeps trying Google's hosts, which the closed network refuses.
    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>A laptop-sized window.</summary>
    public static readonly BrowserNewContextOptions Desktop = new() { ViewportSize = new() { Width = 1280, Height = 800 } };

    /// <summary>A phone (iPhone 12–15 sized, touch, mobile layout).</summary>
    public static readonly BrowserNewContextOptions Phone = new()
    {
        ViewportSize = new() { Width = 390, Height = 844 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
    };

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private BrowserSession(ConnectLinksApp app, Uri baseAddress, IPlaywright playwright, IBrowser browser)
    {
        App = app;
        BaseAddress = baseAddress;
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>The service (database, clock, settings, API keys).</summary>
    public ConnectLinksApp App { get; }

    /// <summary>Where Kestrel listens, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Console errors and uncaught page exceptions of every page of this session, in order.</summary>
    public IReadOnlyList<string> Errors { get { lock (_errors) return [.. _errors]; } }

    /// <summary>Starts the service with <paramref name="settings"/> on Kestrel (a free port unless one is given) and launches Chromium.</summary>
    public static async Task<BrowserSession> StartAsync(Dictionary<string, string?>? settings = null, int port = 0)
    {
        var chromium = BrowserTools.Chromium;
        var app = new ConnectLinksApp(settings);
        try
        {
            app.UseKestrel(port);
            app.StartServer();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
                .Select(a => new Uri(a))
                .FirstOrDefault(a => a.IsLoopback) ?? throw new InvalidOperationException("Kestrel listens on no loopback address.");
            var playwright = await Playwright.CreateAsync();
            try
            {
                var browser = await playwright.Chromium.LaunchAsync(new()
                {
                    ExecutablePath = chromium,
                    Headless = true,
                    Args = ChromiumFlags,
                    Timeout = 60_000,
                });
                return new BrowserSession(app, new Uri(address, "/"), playwright, browser);
            }
            catch
            {
                playwright.Dispose();
                throw;
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>An absolute address on the service, e.g. <c>Url("/docs/")</c>.</summary>
    public string Url(string pathAndQuery) => new Uri(BaseAddress, pathAndQuery).ToString();

    /// <summary>A page in a new browser context (own cookies) with <paramref name="options"/> (default <see cref="Desktop"/>).</summary>
    public async Task<IPage> NewPageAsync(BrowserNewContextOptions? options = null)
    {
        var context = await _browser.NewContextAsync(options ?? Desktop);
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            // Browsers ask for /favicon.ico on their own; its 404 says nothing about the page under test.
            // A page answered with 4xx on purpose (422 after a failed test, 410 for a dead link) is reported as a failed
            // load of the document itself; failed sub-resources (a script, a stylesheet) still count.
            var documentItself = message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)
                                 && message.Location.StartsWith(page.Url + ":", StringComparison.Ordinal);
            if (message.Type == "error" && !documentItself && !message.Location.Contains("/favicon.ico")) lock (_errors) _errors.Add($"console: {message.Text} ({message.Location})");
        };
        page.PageError += (_, error) => { lock (_errors) _errors.Add($"page error: {error}"); };
        return page;
    }

    /// <summary>
    /// Saves a screenshot (the whole page, or only the viewport when <paramref name="fullPage"/> is false) as
    /// artifacts/screenshots/&lt;test name&gt;[-suffix].png under the repository root and returns its path.
    /// </summary>
    public static async Task<string> ScreenshotAsync(IPage page, string? suffix = null, bool fullPage = true, [CallerMemberName] string testName = "")
    {
        var path = Path.Combine(BrowserTools.RepositoryRoot, "artifacts", "screenshots", testName + (suffix is null ? "" : "-" + suffix) + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = fullPage });
        return path;
    }

    /// <summary>Fails listing every console error and uncaught exception the session's pages had.</summary>
    public void ShouldHaveNoPageErrors()
    {
        var errors = Errors;
        errors.ShouldBeEmpty("The pages logged errors:\n" + string.Join("\n", errors));
    }

    public async ValueTask DisposeAsync()
    {
        try { await _browser.CloseAsync(); }
        finally
        {
            _playwright.Dispose();
            await App.DisposeAsync();
        }
    }
}

/// <summary>Where the browser test tools are; fails loudly (never skips) when one is missing.</summary>
public static class BrowserTools
{
    private const string Hint = "Run `scripts/test-extras.sh start WORKDIR ENVFILE` and source ENVFILE (scripts/test.sh does both).";

    private static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>
    /// Debian's Chromium from CONNECTLINKS_TEST_CHROMIUM. Outside CI /usr/bin/chromium is used when the variable is
    /// unset; in CI the variable is required, so a broken set-up cannot pass unnoticed.
    /// </summary>
    public static string Chromium => Tool("CONNECTLINKS_TEST_CHROMIUM", "/usr/bin/chromium", "Chromium");

    /// <summary>axe-core's axe.min.js from CONNECTLINKS_TEST_AXE (outside CI: .tmp/node under the repository).</summary>
    public static string Axe => Tool("CONNECTLINKS_TEST_AXE",
        Path.Combine(RepositoryRoot, ".tmp", "node", "node_modules", "axe-core", "axe.min.js"), "axe-core");

    /// <summary>The folder holding ConnectLinks.slnx.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConnectLinks.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Repository root (ConnectLinks.slnx) not found above " + AppContext.BaseDirectory);
        }
    }

    private static string Tool(string variable, string fallback, string name)
    {
        var path = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(path))
        {
            if (InCi) throw new InvalidOperationException($"{variable} is not set, so the browser tests cannot run {name}. {Hint}");
            path = fallback;
        }
        return File.Exists(path) ? path : throw new FileNotFoundException($"{name} is not at {path} ({variable}). {Hint}", path);
    }
}

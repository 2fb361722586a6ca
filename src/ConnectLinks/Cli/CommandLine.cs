using System.CommandLine;
using ConnectLinks.Connections;
using ConnectLinks.Connectors;
using ConnectLinks.Security.Secrets;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Links;
using ConnectLinks.Organizations;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Cli;

/// <summary>
/// The operator's commands: <c>migrate</c>, <c>orgs create</c>, <c>keys create|revoke</c>, <c>links create</c>.
/// Results go to stdout alone (a new key is printed with nothing else) so scripts can capture them; logs go to stderr.
/// </summary>
public static class CommandLine
{
    private static readonly string[] Commands = ["migrate", "orgs", "keys", "links", "help", "--help", "-h", "-?", "--version"];

    /// <summary>True when the arguments name an operator command rather than <c>serve</c> (the default).</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null)
    {
        var output = stdout ?? Console.Out;
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder for the SQLite database and the development master key (default ./data).", Recursive = true };
        var root = new RootCommand("ConnectLinks: secure, expiring connect links. With no command, serves HTTP (options --urls, --data-dir).");
        root.Options.Add(dataDir);

        var migrate = new Command("migrate", "Apply database migrations and exit.");
        migrate.SetAction(async (parse, ct) =>
        {
            using var host = BuildHost(parse.GetValue(dataDir));
            await host.Services.MigrateDatabaseAsync(ct);
            await output.WriteLineAsync("migrated");
            return 0;
        });
        root.Subcommands.Add(migrate);

        var orgName = new Argument<string>("name") { Description = "Organization name." };
        var orgsCreate = new Command("create", "Create an organization (no-op if it exists); prints its id.") { orgName };
        orgsCreate.SetAction(async (parse, ct) =>
        {
            using var host = BuildHost(parse.GetValue(dataDir));
            await using var db = await Open(host, ct);
            var org = await Tenancy.EnsureOrganizationAsync(db, parse.GetRequiredValue(orgName), TimeProvider.System, ct);
            await output.WriteLineAsync(org.Id);
            return 0;
        });
        root.Subcommands.Add(new Command("orgs", "Manage organizations.") { orgsCreate });

        var org = new Option<string>("--org") { Description = "Organization name (created if missing).", Required = true };
        var scopes = new Option<string?>("--scopes") { Description = $"Comma-separated scopes (default: {string.Join(",", Scopes.Default)}). All: {string.Join(",", Scopes.All)}." };
        var keyName = new Option<string?>("--name") { Description = "A label to tell keys apart." };
        var keysCreate = new Command("create", "Create an API key; prints the key alone on stdout (shown once).") { org, scopes, keyName };
        keysCreate.SetAction(async (parse, ct) =>
        {
            var wanted = parse.GetValue(scopes)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? Scopes.Default;
            if (Tenancy.UnknownScopes(wanted) is { Length: > 0 } unknown)
                return Fail($"unknown scope(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", Scopes.All)}.");
            using var host = BuildHost(parse.GetValue(dataDir));
            await using var db = await Open(host, ct);
            var organization = await Tenancy.EnsureOrganizationAsync(db, parse.GetRequiredValue(org), TimeProvider.System, ct);
            var (_, key) = await Tenancy.CreateKeyAsync(db, organization, wanted, parse.GetValue(keyName), TimeProvider.System, ct);
            await output.WriteLineAsync(key);
            return 0;
        });
        var keyToRevoke = new Argument<string>("key") { Description = "The key itself (clk_…) or its id (key_…)." };
        var keysRevoke = new Command("revoke", "Revoke an API key; every instance refuses it within seconds.") { keyToRevoke };
        keysRevoke.SetAction(async (parse, ct) =>
        {
            var value = parse.GetRequiredValue(keyToRevoke);
            using var host = BuildHost(parse.GetValue(dataDir));
            await using var db = await Open(host, ct);
            var hash = OpaqueToken.HasShape(value, OpaqueToken.ApiKeyPrefix) ? OpaqueToken.Hash(value) : null;
            var now = TimeProvider.System.Now();
            var changed = await db.ApiKeys.Where(k => (k.Id == value || k.Hash == hash) && k.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), ct);
            if (changed == 0 && !await db.ApiKeys.AnyAsync(k => k.Id == value || k.Hash == hash, ct)) return Fail("no such API key.");
            await output.WriteLineAsync("revoked");
            return 0;
        });
        var keysRotate = new Command("rotate", "Re-wrap every connection's data key under the current master key (ConnectLinks:Encryption:CurrentKeyId); prints how many changed.");
        keysRotate.SetAction(async (parse, ct) =>
        {
            using var host = BuildHost(parse.GetValue(dataDir));
            await using var db = await Open(host, ct);
            var secrets = host.Services.GetRequiredService<ConnectionSecrets>();
            var rewrapped = 0;
            string? after = null;
            while (true)
            {
                // In pages, so a large table is never held in memory at once; only the wrapped key changes.
                var page = await db.Connections.Where(c => after == null || string.Compare(c.Id, after) > 0).OrderBy(c => c.Id).Take(500).ToListAsync(ct);
                if (page.Count == 0) break;
                foreach (var connection in page)
                    if (secrets.Rewrap(connection)) rewrapped++;
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
                after = page[^1].Id;
            }
            await output.WriteLineAsync($"rewrapped {rewrapped}");
            return 0;
        });
        root.Subcommands.Add(new Command("keys", "Manage API keys; rotate the master key of connection secrets.") { keysCreate, keysRevoke, keysRotate });

        var owner = new Option<string>("--owner-id") { Description = "Your id for the end customer.", Required = true };
        var connector = new Option<string?>("--connector") { Description = "The connector to connect (default: any)." };
        var title = new Option<string?>("--title") { Description = "Title shown on the page." };
        var expiresIn = new Option<long?>("--expires-in") { Description = "Seconds until the link expires (300 to 2592000)." };
        var publicUrl = new Option<string>("--public-url") { Description = "Base URL of the service.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var linksCreate = new Command("create", "Create a connect link; prints its URL.") { org, owner, connector, title, expiresIn, publicUrl };
        linksCreate.SetAction(async (parse, ct) =>
        {
            using var host = BuildHost(parse.GetValue(dataDir));
            await using var db = await Open(host, ct);
            var organization = await Tenancy.EnsureOrganizationAsync(db, parse.GetRequiredValue(org), TimeProvider.System, ct);
            var request = new CreateLinkRequest(Connector: parse.GetValue(connector), Owner: new OwnerInput(parse.GetRequiredValue(owner), null, null),
                Title: parse.GetValue(title), ExpiresIn: parse.GetValue(expiresIn));
            var rules = host.Services.GetRequiredService<LinkCatalogRules>();
            var errors = LinkRules.Validate(request, organization, rules.ConnectorExists, rules.CategoryExists);
            if (errors.Count > 0) return Fail(string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")));
            var (link, token) = LinkFactory.New(request, organization, TimeProvider.System);
            db.Links.Add(link);
            db.Events.Add(EventLog.ForLink(link, EventTypes.LinkCreated, link.CreatedAt, EventLog.Actor.System));
            await db.SaveChangesAsync(ct);
            await output.WriteLineAsync($"{parse.GetRequiredValue(publicUrl).TrimEnd('/')}/connect/{token}");
            return 0;
        });
        root.Subcommands.Add(new Command("links", "Manage links.") { linksCreate });

        return root.Parse(args).InvokeAsync();
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }

    private static async Task<AppDbContext> Open(IHost host, CancellationToken ct)
    {
        await host.Services.MigrateDatabaseAsync(ct);
        return await host.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
    }

    /// <summary>The service's configuration and database, without the web server; logs to stderr only.</summary>
    private static IHost BuildHost(string? dataDir)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production",
        });
        if (dataDir is not null) builder.Configuration["ConnectLinks:DataDir"] = dataDir;
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddDatabase(builder.Configuration);
        builder.Services.AddConnectors(builder.Configuration);
        builder.Services.AddSingleton<LinkCatalogRules>();
        builder.Services.AddSecretEncryption(builder.Configuration, builder.Environment, builder.Configuration.DataDirectory());
        builder.Services.AddSingleton<ConnectionSecrets>();
        return builder.Build();
    }
}

using ConnectLinks.Data;
using ConnectLinks.Organizations;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Operations;

/// <summary>
/// Runs before the server takes requests: applies migrations, and on the very first start in Development creates
/// the organization <c>default</c> and prints one API key, once.
/// </summary>
public sealed class FirstStart(IServiceProvider services, IHostEnvironment environment, TimeProvider clock, ILogger<FirstStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await services.MigrateDatabaseAsync(ct);
        if (!environment.IsDevelopment()) return;
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
        if (await db.Organizations.AnyAsync(ct)) return;
        var org = await Tenancy.EnsureOrganizationAsync(db, "default", clock, ct);
        var (_, key) = await Tenancy.CreateKeyAsync(db, org, Scopes.Default, "first start", clock, ct);
        logger.LogInformation("Created organization 'default' on first start");
        Console.WriteLine($"""

            Organization 'default' was created with this API key (shown once, store it now):

                {key}

            Make more with: dotnet run --project src/ConnectLinks -- keys create --org <name>

            """);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

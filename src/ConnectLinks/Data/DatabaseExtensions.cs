using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace ConnectLinks.Data;

/// <summary>Where the data lives: <c>ConnectLinks:Database:Provider</c> (sqlite or postgres) and its connection string.</summary>
public sealed class DatabaseOptions
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public string Provider { get; set; } = Sqlite;
    public string? ConnectionString { get; set; }
    /// <summary>SQLite <c>synchronous</c>: FULL makes each group commit durable against power loss, not only crashes.</summary>
    public string SqliteSynchronous { get; set; } = "FULL";
}

public static class DatabaseExtensions
{
    /// <summary>The data directory: <c>ConnectLinks:DataDir</c>, <c>./data</c> by default.</summary>
    public static string DataDirectory(this IConfiguration configuration) =>
        Path.GetFullPath(configuration["ConnectLinks:DataDir"] ?? "data");

    public static IServiceCollection AddDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("ConnectLinks:Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        options.Provider = options.Provider.ToLowerInvariant();
        services.AddSingleton(options);

        if (options.Provider == DatabaseOptions.Postgres)
        {
            if (string.IsNullOrWhiteSpace(options.ConnectionString))
                throw new InvalidOperationException("ConnectLinks:Database:Provider is postgres but ConnectLinks:Database:ConnectionString is empty.");
            var csb = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            // Note: each pooled query would otherwise pay a reset round trip; prepared statements cut parsing.
            if (!options.ConnectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) csb.NoResetOnClose = true;
            if (!options.ConnectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) csb.MaxAutoPrepare = 20;
            var connectionString = csb.ConnectionString;
            services.AddPooledDbContextFactory<AppDbContext>(o => o.UseNpgsql(connectionString));
        }
        else if (options.Provider == DatabaseOptions.Sqlite)
        {
            var connectionString = options.ConnectionString;
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                var dir = configuration.DataDirectory();
                Directory.CreateDirectory(dir);
                connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "connectlinks.db"), Pooling = true }.ToString();
            }
            var pragmas = new SqlitePragmas(options.SqliteSynchronous);
            services.AddPooledDbContextFactory<AppDbContext>(o => o.UseSqlite(connectionString).AddInterceptors(pragmas));
            if (SqliteReadPool.Supports(connectionString))
                services.AddSingleton(sp =>
                {
                    using var db = sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext();
                    return new SqliteReadPool(connectionString, db.Model);
                });
        }
        else
        {
            throw new InvalidOperationException($"ConnectLinks:Database:Provider must be 'sqlite' or 'postgres', not '{options.Provider}'.");
        }

        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext());
        services.AddSingleton<SqliteRowInserter>();
        services.AddSingleton<WriteBatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WriteBatcher>());
        services.AddHealthChecks().AddDbContextCheck<AppDbContext>("database", tags: ["ready"]);
        return services;
    }

    /// <summary>Applies pending migrations (both providers) and puts SQLite in WAL mode.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(ct);
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        await db.Database.MigrateAsync(ct);
    }

    /// <summary>
    /// Per-connection SQLite settings. secure_delete zeroes deleted rows, so a deleted connection's encrypted
    /// secrets do not linger in free pages of the file. busy_timeout makes SQLite wait for the write lock in fine steps; without it
    /// Microsoft.Data.Sqlite sleeps 150 ms per retry, which ruins tail latency under concurrent writers.
    /// </summary>
    private sealed class SqlitePragmas(string synchronous) : DbConnectionInterceptor
    {
        private readonly string _sql = $"PRAGMA busy_timeout=10000; PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;";
        // Pragmas belong to the native connection, which Microsoft.Data.Sqlite pools: set them once per handle,
        // not on every logical open (parsing them each time showed up in the profile of GET /v1/links/{id}).
        private readonly ConditionalWeakTable<object, object> _configured = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken ct = default)
        {
            Apply(connection); // SQLite commands complete synchronously; there is no I/O to await here.
            return Task.CompletedTask;
        }

        private void Apply(DbConnection connection)
        {
            if (connection is SqliteConnection { Handle: { } handle })
            {
                if (_configured.TryGetValue(handle, out _)) return;
                _configured.AddOrUpdate(handle, handle);
            }
            using var command = connection.CreateCommand();
            command.CommandText = _sql;
            command.ExecuteNonQuery();
        }
    }
}

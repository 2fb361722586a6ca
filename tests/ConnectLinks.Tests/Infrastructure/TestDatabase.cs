using Npgsql;

namespace ConnectLinks.Tests.Infrastructure;

/// <summary>
/// Which database the suite runs on: SQLite by default, PostgreSQL when CONNECTLINKS_TEST_DATABASE=postgres
/// (scripts/test.sh runs the suite once on each). Every app gets a fresh database of its own.
/// </summary>
public static class TestDatabase
{
    public static bool IsPostgres =>
        string.Equals(Environment.GetEnvironmentVariable("CONNECTLINKS_TEST_DATABASE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Admin connection string of the test PostgreSQL server; fails loudly when it is expected but missing.</summary>
    public static string PostgresAdmin => Environment.GetEnvironmentVariable("CONNECTLINKS_TEST_POSTGRES")
        ?? throw new InvalidOperationException("CONNECTLINKS_TEST_DATABASE=postgres but CONNECTLINKS_TEST_POSTGRES is not set: run scripts/test.sh, which starts PostgreSQL.");

    /// <summary>Configuration for a fresh database: a new SQLite file in <paramref name="dataDir"/> or a new PostgreSQL database.</summary>
    public static Dictionary<string, string?> Fresh(string dataDir)
    {
        var settings = new Dictionary<string, string?> { ["ConnectLinks:DataDir"] = dataDir };
        if (!IsPostgres) return settings;
        settings["ConnectLinks:Database:Provider"] = "postgres";
        settings["ConnectLinks:Database:ConnectionString"] = NewPostgresDatabase();
        return settings;
    }

    /// <summary>A new empty database on the test PostgreSQL server; returns its connection string.</summary>
    public static string NewPostgresDatabase()
    {
        var name = "cl_test_" + Guid.NewGuid().ToString("N")[..16];
        using (var admin = new NpgsqlConnection(PostgresAdmin))
        {
            admin.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            create.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name }.ConnectionString;
    }
}

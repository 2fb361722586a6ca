using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ConnectLinks.Security;
using Npgsql;

namespace ConnectLinks.Connectors.Testers;

/// <summary>
/// Tests a PostgreSQL connection step by step: resolve, TCP, TLS as requested, sign in,
/// SELECT 1, database exists, privileges on the schema.
/// </summary>
public sealed class PostgresTester(NetworkGuard guard) : IConnectorTester
{
    public string Protocol => "postgres";

    public async Task RunAsync(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, ConnectorCheckRun run, CancellationToken ct)
    {
        var host = values.Text("host");
        var port = values.Port();
        var database = values.Text("database");
        var user = values.Text("username");
        var schema = values.Text("schema") is { Length: > 0 } s ? s : "public";
        var sslMode = values.Text("sslmode") switch
        {
            "disable" => SslMode.Disable,
            "require" => SslMode.Require,
            _ => SslMode.Prefer,
        };

        var address = await TesterValues.ResolveAndConnectAsync(run, guard, host, port, ct);
        if (address is null)
        {
            return;
        }

        await run.CheckAsync("tls", t => ProbeTlsAsync(address, host, port, sslMode, t), ct);

        NpgsqlConnectionStringBuilder Builder(string db) => new()
        {
            // Connect to the address the guard checked; a second DNS lookup could be rebound.
            Host = address.ToString(),
            Port = port,
            Database = db,
            Username = user,
            Password = values.Text("password"),
            SslMode = sslMode,
            Pooling = false,
            Timeout = 10,
            CommandTimeout = 10,
            ApplicationName = "ConnectLinks connection test",
        };

        NpgsqlConnection? connection = null;
        var databaseMissing = false;
        try
        {
            await run.CheckAsync("auth", async t =>
            {
                var candidate = new NpgsqlConnection(Builder(database).ConnectionString);
                try
                {
                    await candidate.OpenAsync(t);
                    connection = candidate;
                    return CheckOutcome.Pass($"Signed in as '{user}'.");
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
                {
                    // PostgreSQL checks the password before looking up the database, so the
                    // sign-in itself worked; the database check reports the missing database.
                    await candidate.DisposeAsync();
                    databaseMissing = true;
                    return CheckOutcome.Pass($"Signed in as '{user}'.");
                }
                catch (Exception e)
                {
                    await candidate.DisposeAsync();
                    throw Describe(e, user, sslMode);
                }
            }, ct);

            await run.CheckAsync("select1", async t =>
            {
                if (databaseMissing)
                {
                    // Run the query on a database that always exists, to list what the user can open.
                    connection = await OpenMaintenanceAsync(Builder, t)
                        ?? throw new CheckFailedException($"The database '{database}' does not exist.", "Check the database name.");
                }
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                var one = await command.ExecuteScalarAsync(t);
                return one is 1 ? CheckOutcome.Pass() : CheckOutcome.Fail("SELECT 1 did not return 1.");
            }, ct);

            await run.CheckAsync("database", async t =>
            {
                if (!databaseMissing)
                {
                    return CheckOutcome.Pass($"The database '{database}' exists.");
                }
                await using var command = new NpgsqlCommand(
                    "SELECT string_agg(datname, ', ' ORDER BY datname) FROM pg_database WHERE datallowconn AND NOT datistemplate AND has_database_privilege(datname, 'CONNECT')",
                    connection);
                var visible = await command.ExecuteScalarAsync(t) as string;
                return CheckOutcome.Fail($"The database '{database}' does not exist.",
                    visible is null ? "Check the database name." : $"Check the database name. Databases this user can open: {visible}.");
            }, ct);

            await run.CheckAsync("privileges", async t =>
            {
                await using var command = new NpgsqlCommand(
                    """
                    SELECT r.rolsuper,
                           n.oid IS NOT NULL,
                           n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE'),
                           n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'CREATE')
                    FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = @schema
                    WHERE r.rolname = current_user
                    """, connection);
                command.Parameters.AddWithValue("schema", schema);
                await using var reader = await command.ExecuteReaderAsync(t);
                await reader.ReadAsync(t);
                var (superuser, exists, usage, create) = (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3));
                if (superuser)
                {
                    return CheckOutcome.Warn($"'{user}' is a superuser: it can read and change everything on this server.",
                        $"Create a role with only the privileges needed (USAGE and CREATE on schema {schema}) and use it instead.");
                }
                if (!exists)
                {
                    return CheckOutcome.Fail($"The schema '{schema}' does not exist in database '{database}'.", "Check the schema name, or create it.");
                }
                var missing = new[] { usage ? null : "USAGE", create ? null : "CREATE" }.OfType<string>().ToList();
                return missing.Count == 0
                    ? CheckOutcome.Pass($"'{user}' has USAGE and CREATE on schema '{schema}'.")
                    : CheckOutcome.Fail($"'{user}' lacks {string.Join(" and ", missing)} on schema '{schema}'.",
                        $"Ask an administrator to run: GRANT {string.Join(", ", missing)} ON SCHEMA {schema} TO {user};");
            }, ct);
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<NpgsqlConnection?> OpenMaintenanceAsync(Func<string, NpgsqlConnectionStringBuilder> builder, CancellationToken ct)
    {
        foreach (var db in new[] { "postgres", "template1" })
        {
            var connection = new NpgsqlConnection(builder(db).ConnectionString);
            try
            {
                await connection.OpenAsync(ct);
                return connection;
            }
            catch (Exception e) when (e is NpgsqlException or PostgresException)
            {
                await connection.DisposeAsync();
            }
        }
        return null;
    }

    // Asks the server for TLS with the protocol's SSLRequest packet, as a client would, so the
    // check can say "the server does not offer TLS" instead of a driver-specific error.
    private static async Task<CheckOutcome> ProbeTlsAsync(IPAddress address, string host, int port, SslMode mode, CancellationToken ct)
    {
        if (mode == SslMode.Disable)
        {
            return CheckOutcome.Pass("TLS not requested (sslmode disable); the connection is not encrypted.");
        }
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(address, port), ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), 80877103);
        await stream.WriteAsync(request, ct);
        var answer = new byte[1];
        if (await stream.ReadAsync(answer, ct) != 1)
        {
            throw new CheckFailedException("The server closed the connection instead of answering; it may not be PostgreSQL.", "Check the port.");
        }
        if (answer[0] == (byte)'N')
        {
            return mode == SslMode.Require
                ? CheckOutcome.Fail("The server does not offer TLS, but sslmode is require.",
                    "Enable SSL on the server (ssl = on), or choose sslmode prefer if an unencrypted connection is acceptable.")
                : CheckOutcome.Warn("The server does not offer TLS; the connection will not be encrypted.",
                    "Enable SSL on the server, then choose sslmode require.");
        }
        if (answer[0] != (byte)'S')
        {
            throw new CheckFailedException("The server answered the TLS request in an unexpected way; it may not be PostgreSQL.", "Check the port.");
        }
        // Like libpq's sslmode=require, this encrypts without verifying the certificate.
        await using var tls = new SslStream(stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, ct);
        return CheckOutcome.Pass($"TLS {tls.SslProtocol} negotiated (certificate not verified, as with sslmode require).");
    }

    private static CheckFailedException Describe(Exception e, string user, SslMode mode) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } p =>
            new($"{p.MessageText}.", $"Check the username and password for '{user}'."),
        PostgresException p => new($"{p.MessageText}.", null),
        NpgsqlException { InnerException: TimeoutException } => new("The server did not finish the sign-in in time.", null),
        NpgsqlException n when mode == SslMode.Require && n.Message.Contains("SSL", StringComparison.OrdinalIgnoreCase) =>
            new("TLS could not be established.", "Choose sslmode prefer, or enable SSL on the server."),
        NpgsqlException n => new(n.Message, null),
        _ => new(e.Message, null),
    };
}

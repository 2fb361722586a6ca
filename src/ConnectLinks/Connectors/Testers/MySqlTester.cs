using System.Net;
using System.Net.Sockets;
using System.Reflection;
using ConnectLinks.Security;
using MySql.Data.MySqlClient;

namespace ConnectLinks.Connectors.Testers;

/// <summary>
/// Tests a MySQL or MariaDB connection: resolve, TCP, TLS as requested, sign in, SELECT 1,
/// database exists, privileges. Uses MySql.Data 8.0.16, the only MySQL client that restores here
/// (MySqlConnector does not); its "async" methods are synchronous, so every driver call runs on a
/// dedicated thread instead of blocking the thread pool.
/// </summary>
public sealed class MySqlTester(NetworkGuard guard) : IConnectorTester
{
    private const int ClientSsl = 0x0800;

    static MySqlTester() => MariaDbCharsetPatch.Apply();

    public string Protocol => "mysql";

    public async Task RunAsync(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, ConnectorCheckRun run, CancellationToken ct)
    {
        var host = values.Text("host");
        var port = values.Port();
        var database = values.Text("database");
        var user = values.Text("username");
        var sslMode = values.Text("sslmode");

        var address = await TesterValues.ResolveAndConnectAsync(run, guard, host, port, ct);
        if (address is null)
        {
            return;
        }
        await run.CheckAsync("tls", t => ProbeTlsAsync(address, port, sslMode, t), ct);

        var builder = new MySqlConnectionStringBuilder
        {
            // The checked address, not the name: no second DNS lookup.
            Server = address.ToString(),
            Port = (uint)port,
            UserID = user,
            Password = values.Text("password"),
            SslMode = sslMode switch { "disable" => MySqlSslMode.None, "require" => MySqlSslMode.Required, _ => MySqlSslMode.Preferred },
            Pooling = false,
            ConnectionTimeout = 10,
            DefaultCommandTimeout = 10,
            CharacterSet = "utf8mb4",
        };

        MySqlConnection? connection = null;
        try
        {
            await run.CheckAsync("auth", t => OnOwnThread(t, () =>
            {
                var candidate = new MySqlConnection(builder.ConnectionString);
                try
                {
                    candidate.Open();
                    connection = candidate;
                    return CheckOutcome.Pass($"Signed in as '{user}'.");
                }
                catch (MySqlException e)
                {
                    candidate.Dispose();
                    // The server's own error (1045 access denied, …) may sit on the inner exception.
                    var server = e.InnerException as MySqlException ?? e;
                    throw server.Number == 1045
                        ? new CheckFailedException($"Access denied for user '{user}': the password was not accepted from this address.", $"Check the username and password, and that '{user}' may connect from other hosts.")
                        : new CheckFailedException(server.Message, null);
                }
            }), ct);

            await run.CheckAsync("select1", t => OnOwnThread(t, () =>
            {
                using var command = new MySqlCommand("SELECT 1", connection);
                return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1
                    ? CheckOutcome.Pass()
                    : CheckOutcome.Fail("SELECT 1 did not return 1.");
            }), ct);

            await run.CheckAsync("database", t => OnOwnThread(t, () =>
            {
                using var command = new MySqlCommand("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db", connection);
                command.Parameters.AddWithValue("@db", database);
                if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
                {
                    return CheckOutcome.Fail($"The database '{database}' does not exist, or '{user}' has no access to it.", "Check the database name and the user's grants.");
                }
                connection!.ChangeDatabase(database);
                return CheckOutcome.Pass($"The database '{database}' exists.");
            }), ct);

            await run.CheckAsync("privileges", t => OnOwnThread(t, () =>
            {
                var grants = new List<string>();
                using (var command = new MySqlCommand("SHOW GRANTS FOR CURRENT_USER()", connection))
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        grants.Add(reader.GetString(0));
                    }
                }
                if (grants.Any(g => g.StartsWith("GRANT ALL PRIVILEGES ON *.*", StringComparison.OrdinalIgnoreCase) || g.Contains(" SUPER", StringComparison.OrdinalIgnoreCase)))
                {
                    return CheckOutcome.Warn($"'{user}' has privileges on every database of this server.",
                        $"Create a user with privileges only on `{database}` and use it instead.");
                }
                var onDatabase = grants.Where(g => g.Contains($" ON `{database.Replace("_", "\\_")}`.*", StringComparison.OrdinalIgnoreCase)
                    || g.Contains($" ON `{database}`.*", StringComparison.OrdinalIgnoreCase)).ToList();
                bool Has(string privilege) => onDatabase.Any(g => g.Contains("ALL PRIVILEGES", StringComparison.OrdinalIgnoreCase) || g.Contains(privilege, StringComparison.OrdinalIgnoreCase));
                var missing = new[] { "SELECT", "CREATE" }.Where(p => !Has(p)).ToList();
                return missing.Count == 0
                    ? CheckOutcome.Pass($"'{user}' can read and create tables in '{database}'.")
                    : CheckOutcome.Warn($"'{user}' may lack {string.Join(" and ", missing)} on '{database}'.",
                        $"Ask an administrator to run: GRANT {string.Join(", ", missing)} ON `{database}`.* TO '{user}';");
            }), ct);
        }
        finally
        {
            if (connection is not null)
            {
                var toClose = connection;
                await OnOwnThread(CancellationToken.None, () => { toClose.Dispose(); return true; });
            }
        }
    }

    // The initial handshake packet says whether the server offers TLS (CLIENT_SSL capability),
    // so the check can explain a mismatch before the driver reports something cryptic.
    private static async Task<CheckOutcome> ProbeTlsAsync(IPAddress address, int port, string mode, CancellationToken ct)
    {
        if (mode == "disable")
        {
            return CheckOutcome.Pass("TLS not requested (sslmode disable); the connection is not encrypted.");
        }
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(address, port), ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, ct);
        var length = header[0] | header[1] << 8 | header[2] << 16;
        if (length is < 1 or > 64 * 1024)
        {
            throw new CheckFailedException("The server did not send a MySQL greeting; it may not be MySQL.", "Check the port.");
        }
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, ct);
        if (payload[0] == 0xFF)
        {
            throw new CheckFailedException("The server refused the connection before sign-in (too many connections, or this host is blocked).", null);
        }
        // protocol version, NUL-terminated server version, thread id (4), scramble (8), filler (1), capabilities (2)
        var versionEnd = Array.IndexOf(payload, (byte)0, 1);
        var capabilitiesAt = versionEnd + 1 + 4 + 8 + 1;
        if (payload[0] != 10 || versionEnd < 0 || capabilitiesAt + 2 > payload.Length)
        {
            throw new CheckFailedException("The server did not send a MySQL greeting; it may not be MySQL.", "Check the port.");
        }
        var offersTls = ((payload[capabilitiesAt] | payload[capabilitiesAt + 1] << 8) & ClientSsl) != 0;
        if (offersTls)
        {
            return CheckOutcome.Pass("The server offers TLS.");
        }
        return mode == "require"
            ? CheckOutcome.Fail("The server does not offer TLS, but sslmode is require.", "Configure TLS on the server, or choose sslmode prefer if an unencrypted connection is acceptable.")
            : CheckOutcome.Warn("The server does not offer TLS; the connection will not be encrypted.", "Configure TLS on the server, then choose sslmode require.");
    }

    private static Task<T> OnOwnThread<T>(CancellationToken ct, Func<T> work) =>
        Task.Factory.StartNew(work, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}

/// <summary>
/// MySql.Data 8.0.16 predates MariaDB's <c>utf8mb3</c> charset name: without this, reading the
/// server version throws KeyNotFoundException and any warning throws on dispose. Maps utf8mb3 to
/// the driver's utf8 (the same encoding) in its internal CharSetMap. Reflection on a 2019 driver
/// that will not change; if the field is ever missing the patch does nothing and the connector's
/// tests show the failure.
/// </summary>
internal static class MariaDbCharsetPatch
{
    private static bool _applied;

    public static void Apply()
    {
        if (_applied)
        {
            return;
        }
        var map = typeof(MySqlConnection).Assembly.GetType("MySql.Data.MySqlClient.CharSetMap");
        var field = map?.GetField("_mapping", BindingFlags.Static | BindingFlags.NonPublic);
        if (map is null || field is null)
        {
            return;
        }
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(map.TypeHandle);
        if (field.GetValue(null) is null)
        {
            map.GetMethod("InitializeMapping", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)?.Invoke(null, null);
        }
        if (field.GetValue(null) is System.Collections.IDictionary mapping && mapping.Contains("utf8") && !mapping.Contains("utf8mb3"))
        {
            mapping["utf8mb3"] = mapping["utf8"];
        }
        _applied = true;
    }
}

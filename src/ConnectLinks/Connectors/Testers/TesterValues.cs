using System.Globalization;
using System.Net.Sockets;

namespace ConnectLinks.Connectors.Testers;

/// <summary>Reading typed values and describing common network failures, shared by the testers.</summary>
internal static class TesterValues
{
    public static string Text(this IReadOnlyDictionary<string, string?> values, string name) =>
        values.TryGetValue(name, out var v) && v is not null ? v : "";

    public static int Port(this IReadOnlyDictionary<string, string?> values, string name = "port") =>
        int.Parse(values.Text(name), NumberStyles.None, CultureInfo.InvariantCulture);

    public static bool Flag(this IReadOnlyDictionary<string, string?> values, string name) =>
        ConnectorField.ParseBoolean(values.Text(name)) == true;

    /// <summary>Turns a failed TCP connect into a check failure that says what to fix.</summary>
    public static CheckFailedException ConnectFailure(SocketException e, string target) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new($"Nothing is listening on {target} (connection refused).",
            "Check the port, and that the server accepts TCP connections on that address."),
        SocketError.TimedOut => new($"No answer from {target} (timed out).",
            "Check that a firewall allows connections from this service."),
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => new($"{target} cannot be reached from this service's network.",
            "Check the host name; the server may be on a private network."),
        _ => new($"Could not connect to {target} ({e.SocketErrorCode}).", null),
    };

    /// <summary>Resolves and connects through the guard; shared first two checks of the database testers.</summary>
    public static async Task<System.Net.IPAddress?> ResolveAndConnectAsync(
        ConnectorCheckRun run, Security.NetworkGuard guard, string host, int port, CancellationToken ct)
    {
        System.Net.IPAddress? address = null;
        await run.CheckAsync("dns", async t =>
        {
            try
            {
                address = await guard.ResolveAsync(host, t);
            }
            catch (Security.HostNotFoundException e)
            {
                throw new CheckFailedException(e.Message, "Check the spelling of the host name.");
            }
            return CheckOutcome.Pass(address.ToString() == host ? null : $"{host} resolves to {address}.");
        }, ct);
        if (address is null)
        {
            return null;
        }
        var ok = await run.CheckAsync("tcp", async t =>
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new System.Net.IPEndPoint(address, port), t);
            }
            catch (SocketException e)
            {
                throw ConnectFailure(e, $"{host}:{port}");
            }
            return CheckOutcome.Pass($"Connected to {address}:{port}.");
        }, ct);
        return ok ? address : null;
    }
}

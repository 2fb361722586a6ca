using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using ConnectLinks.Security;

namespace ConnectLinks.Connectors.Testers;

/// <summary>Tests a redis connection: connect, AUTH (ACL user or password), PING, ACL WHOAMI.</summary>
public sealed class RedisTester(NetworkGuard guard) : IConnectorTester
{
    public string Protocol => "redis";

    public async Task RunAsync(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, ConnectorCheckRun run, CancellationToken ct)
    {
        var host = values.Text("host");
        var port = values.Port();
        var user = values.Text("username");
        var password = values.Text("password");
        Stream? stream = null;
        RespClient? client = null;
        try
        {
            await run.CheckAsync("connect", async t =>
            {
                Socket socket;
                try
                {
                    socket = await guard.ConnectAsync(host, port, t);
                }
                catch (HostNotFoundException e)
                {
                    throw new CheckFailedException(e.Message, "Check the spelling of the host name.");
                }
                catch (SocketException e)
                {
                    throw TesterValues.ConnectFailure(e, $"{host}:{port}");
                }
                stream = new NetworkStream(socket, ownsSocket: true);
                if (values.Flag("tls"))
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = tls;
                    try
                    {
                        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, t);
                    }
                    catch (AuthenticationException e)
                    {
                        throw new CheckFailedException($"TLS failed: {e.Message}", "Turn TLS off if the server does not use it, or check its certificate.");
                    }
                }
                client = new RespClient(stream);
                return CheckOutcome.Pass($"Connected to {((IPEndPoint)socket.RemoteEndPoint!).Address}:{port}{(values.Flag("tls") ? " over TLS" : "")}.");
            }, ct);

            await run.CheckAsync("auth", async t =>
            {
                if (password.Length == 0)
                {
                    return CheckOutcome.Pass("No password given; using the default user.");
                }
                var reply = user.Length > 0
                    ? await client!.SendAsync(t, "AUTH", user, password)
                    : await client!.SendAsync(t, "AUTH", password);
                if (!reply.IsError)
                {
                    return CheckOutcome.Pass(user.Length > 0 ? $"Signed in as '{user}'." : "Password accepted.");
                }
                throw reply.Text switch
                {
                    { } m when m.StartsWith("WRONGPASS", StringComparison.Ordinal) =>
                        new CheckFailedException("The username or password was not accepted (or the user is disabled).", "Check the ACL username and password."),
                    { } m when m.Contains("without any password configured", StringComparison.Ordinal) =>
                        new CheckFailedException("The server has no password set but one was given.", "Leave the password empty."),
                    var m => new CheckFailedException($"AUTH failed: {m}", null),
                };
            }, ct);

            await run.CheckAsync("ping", async t =>
            {
                var reply = await client!.SendAsync(t, "PING");
                if (reply.IsError)
                {
                    throw reply.Text?.StartsWith("NOAUTH", StringComparison.Ordinal) == true
                        ? new CheckFailedException("The server requires a password.", "Enter the password (and the ACL username if there is one).")
                        : new CheckFailedException($"PING failed: {reply.Text}", null);
                }
                return CheckOutcome.Pass();
            }, ct);

            await run.CheckAsync("whoami", async t =>
            {
                var reply = await client!.SendAsync(t, "ACL", "WHOAMI");
                if (reply.IsError)
                {
                    // Redis before 6 has no ACLs; NOPERM means the user may not run ACL commands.
                    return CheckOutcome.Warn($"Could not ask which user is signed in: {reply.Text}", null);
                }
                return user.Length > 0 && reply.Text != user
                    ? CheckOutcome.Warn($"Signed in as '{reply.Text}', not '{user}'.", null)
                    : CheckOutcome.Pass($"Signed in as '{reply.Text}'.");
            }, ct);
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
            else if (stream is not null)
            {
                await stream.DisposeAsync();
            }
        }
    }
}

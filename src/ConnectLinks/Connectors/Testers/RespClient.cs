using System.Globalization;
using System.Text;

namespace ConnectLinks.Connectors.Testers;

/// <summary>
/// Just enough of the redis protocol (RESP2) for a connection test. The only redis client that
/// restores here, StackExchange.Redis 1.2.6, cannot sign in as an ACL user (no username option),
/// and a test needs nothing beyond sending a command and reading one reply.
/// </summary>
internal sealed class RespClient(Stream stream) : IAsyncDisposable
{
    private readonly BufferedStream _input = new(stream, 4096);

    /// <summary>A reply: simple string, error, integer or bulk string (arrays are not needed here).</summary>
    public sealed record Reply(bool IsError, string? Text);

    public async Task<Reply> SendAsync(CancellationToken ct, params string[] args)
    {
        var command = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
        {
            command.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()), ct);
        await stream.FlushAsync(ct);
        return await ReadReplyAsync(ct);
    }

    private async Task<Reply> ReadReplyAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct);
        if (line.Length == 0)
        {
            throw new IOException("Empty reply from the server.");
        }
        var body = line[1..];
        switch (line[0])
        {
            case '+':
            case ':':
                return new Reply(false, body);
            case '-':
                return new Reply(true, body);
            case '$':
                var length = int.Parse(body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return new Reply(false, null);
                }
                var data = new byte[length + 2];
                await _input.ReadExactlyAsync(data, ct);
                return new Reply(false, Encoding.UTF8.GetString(data, 0, length));
            default:
                throw new IOException("The server does not speak the redis protocol.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await _input.ReadAsync(one, ct) == 0)
            {
                throw new IOException("The server closed the connection.");
            }
            if (one[0] == '\n' && bytes.Count > 0 && bytes[^1] == '\r')
            {
                return Encoding.UTF8.GetString(bytes.ToArray(), 0, bytes.Count - 1);
            }
            if (bytes.Count > 64 * 1024)
            {
                throw new IOException("The server sent an over-long reply line.");
            }
            bytes.Add(one[0]);
        }
    }

    public ValueTask DisposeAsync() => _input.DisposeAsync();
}

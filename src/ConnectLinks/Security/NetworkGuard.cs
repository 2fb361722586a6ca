using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Security;

/// <summary>Thrown before any packet is sent to an address the operator does not allow.</summary>
public sealed class NetworkTargetRefusedException(IPAddress address)
    : Exception($"{address} is a private or local address; this service is not allowed to connect to it.")
{
    public IPAddress Address { get; } = address;
}

/// <summary>Thrown when a host name does not resolve.</summary>
public sealed class HostNotFoundException(string host, string reason)
    : Exception($"The host '{host}' could not be found ({reason}).")
{
    public string Host { get; } = host;
}

/// <summary>
/// The SSRF guard for connection tests: resolves a host once, refuses loopback, link-local
/// (cloud metadata), private, shared, unspecified and multicast addresses unless
/// <see cref="NetworkOptions.AllowPrivateTargets"/> is set, and hands back the address so callers
/// connect to exactly what was checked (a second lookup could be rebound to another address).
/// </summary>
public sealed class NetworkGuard(IOptions<NetworkOptions> options)
{
    /// <summary>Resolves <paramref name="host"/> (a name or an IP literal, brackets allowed) to one allowed address.</summary>
    public async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        var trimmed = host.Trim();
        if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
        {
            trimmed = trimmed[1..^1];
        }
        IPAddress[] addresses;
        if (IPAddress.TryParse(trimmed, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(trimmed, ct);
            }
            catch (SocketException e)
            {
                throw new HostNotFoundException(trimmed, e.SocketErrorCode == SocketError.HostNotFound ? "no such host" : e.SocketErrorCode.ToString());
            }
            catch (ArgumentException)
            {
                throw new HostNotFoundException(trimmed, "not a valid host name");
            }
            if (addresses.Length == 0)
            {
                throw new HostNotFoundException(trimmed, "no addresses");
            }
        }

        // IPv4 first: it works on more networks, and refusals name the same address every time.
        addresses = [.. addresses.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)];
        if (!options.Value.AllowPrivateTargets)
        {
            // Every address must be public: a name that mixes public and private answers is refused
            // rather than trusting which one a client would pick.
            foreach (var address in addresses)
            {
                if (IsPrivateOrLocal(address))
                {
                    throw new NetworkTargetRefusedException(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
                }
            }
        }
        return addresses[0];
    }

    /// <summary>Opens a TCP connection to a checked address of <paramref name="host"/>.</summary>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var address = await ResolveAsync(host, ct);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/> that sends HTTP (and S3) traffic only to
    /// checked addresses.
    /// </summary>
    public async ValueTask<Stream> ConnectCallback(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct);
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>True for addresses a connection test must not reach by default.</summary>
    public static bool IsPrivateOrLocal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 => true,                                   // "this network"
                10 => true,                                  // private
                127 => true,                                 // loopback
                100 => b[1] >= 64 && b[1] <= 127,            // 100.64/10 carrier-grade NAT
                169 => b[1] == 254,                          // link-local, cloud metadata
                172 => b[1] >= 16 && b[1] <= 31,             // private
                192 => (b[1] == 168) || (b[1] == 0 && b[2] == 0), // private, IETF protocol assignments
                >= 224 => true,                              // multicast and reserved
                _ => false,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast)
            {
                return true;
            }
            if ((b[0] & 0xFE) == 0xFC)
            {
                return true;                                 // fc00::/7 unique local
            }
            // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96) embed an IPv4 address.
            if (b.Take(12).All(x => x == 0))
            {
                return IsPrivateOrLocal(new IPAddress(b[12..]));
            }
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4..12].All(x => x == 0))
            {
                return IsPrivateOrLocal(new IPAddress(b[12..]));
            }
            return false;
        }
        return true;
    }
}

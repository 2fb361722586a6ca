using System.Net;
using System.Net.Sockets;

namespace ConnectLinks.Webhooks;

/// <summary>
/// SSRF guard for webhook sends: resolves the host once, refuses loopback, link-local (cloud metadata), private and
/// other non-public ranges unless <c>ConnectLinks:Network:AllowPrivateTargets</c> is true, and connects to the
/// address it checked, so a DNS answer that changes between check and connect (rebinding) cannot slip through.
/// </summary>
/// <remarks>Note: kept inside Webhooks/ while Security/NetworkGuard.cs is written on another branch; fold it into NetworkGuard then.</remarks>
internal sealed class WebhookAddressGuard(bool allowPrivateTargets)
{
    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/> that only connects to permitted addresses.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => allowPrivateTargets || !IsForbidden(a)).ToArray();
        if (allowed.Length == 0)
            throw new WebhookAddressRefusedException(addresses.Length == 0
                ? $"{host} did not resolve to any address."
                : $"{host} resolves to a loopback, link-local or private address, which webhooks may not reach.");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True for addresses a webhook must not reach by default.</summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
            return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b6 = address.GetAddressBytes();
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b6[0] & 0xFE) == 0xFC; // fc00::/7 unique local
        }
        var b = address.GetAddressBytes();
        return b[0] == 0                                   // 0.0.0.0/8 "this network"
            || b[0] == 10                                  // 10/8
            || (b[0] == 100 && b[1] >= 64 && b[1] < 128)   // 100.64/10 carrier-grade NAT
            || (b[0] == 169 && b[1] == 254)                // link-local, cloud metadata
            || (b[0] == 172 && b[1] >= 16 && b[1] < 32)    // 172.16/12
            || (b[0] == 192 && b[1] == 168)                // 192.168/16
            || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) // 198.18/15 benchmarking
            || b[0] >= 224;                                // multicast and reserved
    }
}

/// <summary>The webhook's host resolves only to addresses the service refuses to call.</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);

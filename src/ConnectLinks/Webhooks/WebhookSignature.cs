using System.Security.Cryptography;
using System.Text;

namespace ConnectLinks.Webhooks;

/// <summary>Standard Webhooks signing: <c>v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))</c>.</summary>
public static class WebhookSignature
{
    /// <summary>Prefix of signing secrets; the rest is the base64 of the 32-byte HMAC key.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>A new secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The <c>webhook-signature</c> header value: one <c>v1,…</c> per secret, space-separated.</summary>
    public static string Sign(string id, long timestamp, string body, IEnumerable<string> secrets) =>
        string.Join(' ', secrets.Select(s => "v1," + Convert.ToBase64String(
            HMACSHA256.HashData(KeyOf(s), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")))));

    /// <summary>
    /// Checks a received delivery the way a partner's C# receiver should: constant-time compare, any of the listed
    /// signatures may match, and the timestamp must be within <paramref name="tolerance"/> of now (replay guard).
    /// </summary>
    public static bool Verify(string secret, string id, string timestamp, string body, string signatureHeader, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestamp, out var ts) || Math.Abs(now.ToUnixTimeSeconds() - ts) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(id, ts, body, [secret]));
        foreach (var candidate in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected)) return true;
        return false;
    }

    private static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
}

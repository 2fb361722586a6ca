using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ConnectLinks.Security;

/// <summary>Link tokens and API keys: 32 random bytes, base64url, a product prefix; stored only as SHA-256.</summary>
public static class OpaqueToken
{
    /// <summary>Prefix of connect-link tokens.</summary>
    public const string LinkPrefix = "cl_";
    /// <summary>Prefix of API keys.</summary>
    public const string ApiKeyPrefix = "clk_";

    /// <summary>A new token: prefix + base64url of 32 random bytes.</summary>
    public static string New(string prefix)
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Base64Url.EncodeToString(bytes);
    }

    /// <summary>Lowercase hex SHA-256 of the token: what the database stores and is searched by.</summary>
    public static string Hash(string token)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Shape check before any lookup: prefix plus 43 base64url characters.</summary>
    public static bool HasShape(string? token, string prefix)
    {
        if (token is null || token.Length != prefix.Length + 43 || !token.StartsWith(prefix, StringComparison.Ordinal)) return false;
        foreach (var c in token.AsSpan(prefix.Length))
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        return true;
    }

    /// <summary>Constant-time comparison of two stored hashes, so timing says nothing about how much matched.</summary>
    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}

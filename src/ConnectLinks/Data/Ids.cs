using System.Security.Cryptography;

namespace ConnectLinks.Data;

/// <summary>
/// Prefixed, time-ordered ids (<c>lnk_01hx…</c>): a 48-bit millisecond timestamp followed by 80 random bits in
/// lowercase Crockford base32, the ULID layout. Time order lets lists sort and page by id alone.
/// </summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    private const int BodyLength = 26;

    private static readonly Lock Gate = new();
    private static long _lastTime;
    private static readonly byte[] LastRandom = new byte[10];

    /// <summary>
    /// A new id such as <c>lnk_01hx3…</c>. Within one process ids are strictly increasing: in the same millisecond
    /// the random part is incremented (monotonic ULID), so events written together keep their order.
    /// </summary>
    public static string New(string prefix, TimeProvider? clock = null)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        Span<byte> random = stackalloc byte[10];
        long time;
        lock (Gate)
        {
            if (now > _lastTime)
            {
                _lastTime = now;
                RandomNumberGenerator.Fill(LastRandom);
                LastRandom[0] &= 0x7F; // headroom so increments within one millisecond never overflow
            }
            else
            {
                for (var i = LastRandom.Length - 1; i >= 0 && ++LastRandom[i] == 0; i--) { }
            }
            time = _lastTime;
            LastRandom.CopyTo(random);
        }
        Span<char> id = stackalloc char[prefix.Length + 1 + BodyLength];
        prefix.AsSpan().CopyTo(id);
        id[prefix.Length] = '_';
        var body = id[(prefix.Length + 1)..];
        for (var i = 9; i >= 0; i--) { body[i] = Alphabet[(int)(time & 31)]; time >>= 5; }
        // 80 random bits make the last 16 characters, 5 bits each.
        int acc = 0, accBits = 0, next = 0;
        for (var pos = 10; pos < BodyLength; pos++)
        {
            if (accBits < 5) { acc = ((acc << 8) | random[next++]) & 0xFFFF; accBits += 8; }
            body[pos] = Alphabet[(acc >> (accBits - 5)) & 31];
            accBits -= 5;
        }
        return new string(id);
    }

    /// <summary>True when <paramref name="id"/> has the shape of an id with this prefix.</summary>
    public static bool IsValid(string? id, string prefix)
    {
        if (id is null || id.Length != prefix.Length + 1 + BodyLength || !id.StartsWith(prefix, StringComparison.Ordinal) || id[prefix.Length] != '_')
            return false;
        foreach (var c in id.AsSpan(prefix.Length + 1))
            if (!Alphabet.Contains(c)) return false;
        return true;
    }
}

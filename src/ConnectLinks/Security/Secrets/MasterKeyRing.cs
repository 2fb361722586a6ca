using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ConnectLinks.Security.Secrets;

/// <summary>
/// The master keys known to this process: the current one, which wraps every new data key, and
/// older ones that are kept only so existing secrets can still be unwrapped until <c>keys rotate</c>
/// has re-wrapped them.
/// </summary>
/// <remarks>
/// Key ids are compared case-insensitively because they come from configuration keys, which are.
/// </remarks>
public sealed partial class MasterKeyRing
{
    /// <summary>Length of every master key: AES-256.</summary>
    public const int KeySizeInBytes = 32;

    private readonly Dictionary<string, byte[]> keys;

    /// <summary>Creates a ring; the key bytes are copied, so callers may zero their arrays afterwards.</summary>
    /// <param name="currentKeyId">Id of the key that wraps new data keys; must be one of <paramref name="keys"/>.</param>
    /// <param name="keys">Every usable key by id, each exactly <see cref="KeySizeInBytes"/> bytes.</param>
    /// <exception cref="ArgumentException">A key id is malformed, a key has the wrong length, or the current key is missing.</exception>
    public MasterKeyRing(string currentKeyId, IReadOnlyDictionary<string, byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        this.keys = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyId, key) in keys)
        {
            if (!IsValidKeyId(keyId))
            {
                throw new ArgumentException($"Master key id '{keyId}' is not valid: use 1-64 letters, digits, '.', '_' or '-'.", nameof(keys));
            }
            if (key is null || key.Length != KeySizeInBytes)
            {
                // The length is safe to report; the key bytes never are.
                throw new ArgumentException($"Master key '{keyId}' must be {KeySizeInBytes} bytes, not {key?.Length ?? 0}.", nameof(keys));
            }
            if (!this.keys.TryAdd(keyId, key.ToArray()))
            {
                throw new ArgumentException($"Master key id '{keyId}' appears twice (ids are case-insensitive).", nameof(keys));
            }
        }

        if (string.IsNullOrEmpty(currentKeyId) || !this.keys.ContainsKey(currentKeyId))
        {
            throw new ArgumentException($"The current master key '{currentKeyId}' is not among the keys in the ring.", nameof(currentKeyId));
        }
        // Keep the spelling the key was registered under, so stored key ids stay consistent.
        CurrentKeyId = this.keys.Keys.First(id => string.Equals(id, currentKeyId, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Id of the key that wraps every new data key.</summary>
    public string CurrentKeyId { get; }

    /// <summary>Ids of every key in the ring, the current one included.</summary>
    public IReadOnlyCollection<string> KeyIds => keys.Keys;

    /// <summary>Whether a secret wrapped under <paramref name="keyId"/> can be unwrapped.</summary>
    public bool Contains(string keyId) => keys.ContainsKey(keyId);

    /// <summary>Whether <paramref name="keyId"/> names the current key.</summary>
    public bool IsCurrent(string keyId) => string.Equals(keyId, CurrentKeyId, StringComparison.OrdinalIgnoreCase);

    /// <summary>Checks a key id's shape: it is stored on every encrypted row and used as a configuration key.</summary>
    public static bool IsValidKeyId([NotNullWhen(true)] string? keyId) => keyId is not null && KeyIdPattern().IsMatch(keyId);

    // Internal so only SecretBox (and tests) ever see key bytes.
    internal bool TryGetKey(string keyId, [NotNullWhen(true)] out byte[]? key) => keys.TryGetValue(keyId, out key);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex KeyIdPattern();
}

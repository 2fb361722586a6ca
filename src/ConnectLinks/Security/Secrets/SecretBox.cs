using System.Security.Cryptography;
using System.Text;

namespace ConnectLinks.Security.Secrets;

/// <summary>
/// Encrypts connection secrets for storage (envelope encryption with AES-256-GCM): every payload
/// gets a fresh random data key, and only the data key is encrypted with the master key.
/// </summary>
/// <remarks>
/// Associated data binds a ciphertext to its owner (for example the connection id and the
/// organization id), so a ciphertext copied onto another row fails to decrypt. Random 96-bit nonces
/// are safe here: each data key encrypts exactly one payload, and a master key would have to wrap
/// billions of data keys before a nonce collision became plausible.
/// Thread-safe; register as a singleton.
/// </remarks>
public sealed class SecretBox(IMasterKeySource keySource)
{
    internal const int DataKeySize = 32;
    internal const int NonceSize = 12;
    internal const int TagSize = 16;
    internal const int WrappedKeySize = NonceSize + DataKeySize + TagSize;

    // Domain separation: a wrapped data key can never be accepted as a payload or the reverse,
    // and the version lets a later format coexist with this one.
    internal const string PayloadContext = "ConnectLinks.ConnectionSecret.v1\0";
    internal const string DataKeyContext = "ConnectLinks.DataKey.v1\0";

    /// <summary>Encrypts <paramref name="plaintext"/> (the secret fields as a JSON string) for its owner.</summary>
    /// <param name="plaintext">The secret payload; never logged or included in exceptions.</param>
    /// <param name="associatedData">Identifies the owner, e.g. <c>"{organizationId}/{connectionId}"</c>; the same value is required to decrypt.</param>
    /// <exception cref="ArgumentException"><paramref name="associatedData"/> is empty.</exception>
    public EncryptedSecret Protect(string plaintext, string associatedData)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentException.ThrowIfNullOrEmpty(associatedData);

        var ring = keySource.GetKeyRing();
        var masterKey = GetKey(ring, ring.CurrentKeyId);
        var dataKey = RandomNumberGenerator.GetBytes(DataKeySize);
        var plaintextBytes = Encoding.UTF8.GetBytes(plaintext);
        try
        {
            var ciphertext = Seal(dataKey, plaintextBytes, PayloadAssociatedData(associatedData));
            var wrappedKey = Seal(masterKey, dataKey, DataKeyAssociatedData(ring.CurrentKeyId));
            return new EncryptedSecret(ring.CurrentKeyId, wrappedKey, ciphertext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            CryptographicOperations.ZeroMemory(plaintextBytes);
        }
    }

    /// <summary>Decrypts a value produced by <see cref="Protect"/> or <see cref="Rewrap"/>.</summary>
    /// <param name="value">The stored secret.</param>
    /// <param name="associatedData">The owner identity given when the secret was protected.</param>
    /// <exception cref="CryptographicException">
    /// The value was altered, belongs to another owner, or its master key is unknown. The message never contains secret material.
    /// </exception>
    public string Unprotect(EncryptedSecret value, string associatedData)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentException.ThrowIfNullOrEmpty(associatedData);

        var dataKey = UnwrapDataKey(keySource.GetKeyRing(), value);
        try
        {
            var plaintextBytes = Open(dataKey, value.Ciphertext, PayloadAssociatedData(associatedData),
                "The connection secret could not be decrypted: it was altered or belongs to another connection.");
            try
            {
                return Encoding.UTF8.GetString(plaintextBytes);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintextBytes);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Re-wraps the data key under the current master key (for <c>keys rotate</c>). The payload
    /// ciphertext is returned unchanged, so neither the plaintext nor the owner is needed.
    /// </summary>
    /// <exception cref="CryptographicException">The wrapped key was altered or its master key is unknown.</exception>
    public EncryptedSecret Rewrap(EncryptedSecret value)
    {
        ArgumentNullException.ThrowIfNull(value);

        var ring = keySource.GetKeyRing();
        var dataKey = UnwrapDataKey(ring, value);
        try
        {
            var wrappedKey = Seal(GetKey(ring, ring.CurrentKeyId), dataKey, DataKeyAssociatedData(ring.CurrentKeyId));
            return value with { KeyId = ring.CurrentKeyId, WrappedKey = wrappedKey };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Whether <paramref name="value"/> is wrapped by a master key other than the current one.</summary>
    public bool NeedsRewrap(EncryptedSecret value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return !keySource.GetKeyRing().IsCurrent(value.KeyId);
    }

    private static byte[] UnwrapDataKey(MasterKeyRing ring, EncryptedSecret value)
    {
        if (value.WrappedKey is null || value.WrappedKey.Length != WrappedKeySize)
        {
            throw new CryptographicException("The connection secret's wrapped key is malformed.");
        }
        return Open(GetKey(ring, value.KeyId), value.WrappedKey, DataKeyAssociatedData(value.KeyId),
            $"The connection secret's data key could not be unwrapped with master key '{value.KeyId}': the wrapped key was altered or the master key is wrong.");
    }

    private static byte[] GetKey(MasterKeyRing ring, string keyId)
    {
        if (keyId is null || !ring.TryGetKey(keyId, out var key))
        {
            throw new CryptographicException(
                $"No master key with id '{keyId}' is configured; add it under ConnectLinks:Encryption:Keys to decrypt secrets wrapped by it.");
        }
        return key;
    }

    // Output layout: nonce ‖ ciphertext ‖ tag (see EncryptedSecret).
    private static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize, plaintext.Length), output.AsSpan(NonceSize + plaintext.Length), associatedData);
        return output;
    }

    private static byte[] Open(ReadOnlySpan<byte> key, byte[]? sealedBytes, ReadOnlySpan<byte> associatedData, string failureMessage)
    {
        if (sealedBytes is null || sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The connection secret is malformed: it is shorter than a nonce and a tag.");
        }
        var ciphertextLength = sealedBytes.Length - NonceSize - TagSize;
        var plaintext = new byte[ciphertextLength];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(
                sealedBytes.AsSpan(0, NonceSize),
                sealedBytes.AsSpan(NonceSize, ciphertextLength),
                sealedBytes.AsSpan(NonceSize + ciphertextLength),
                plaintext,
                associatedData);
            return plaintext;
        }
        catch (CryptographicException exception)
        {
            // AesGcm clears the output on failure already; zeroing again costs nothing and does not rely on it.
            CryptographicOperations.ZeroMemory(plaintext);
            throw new CryptographicException(failureMessage, exception);
        }
    }

    internal static byte[] PayloadAssociatedData(string associatedData) => Encoding.UTF8.GetBytes(PayloadContext + associatedData);

    // The wrapped key is bound to its key id so a row cannot be relabelled to another key unnoticed.
    internal static byte[] DataKeyAssociatedData(string keyId) => Encoding.UTF8.GetBytes(DataKeyContext + keyId.ToLowerInvariant());
}

namespace ConnectLinks.Security.Secrets;

/// <summary>
/// A connection's secret fields as stored at rest: a payload encrypted with its own data key,
/// and that data key wrapped by the master key named <see cref="KeyId"/>.
/// </summary>
/// <remarks>
/// Byte layouts (both produced by AES-256-GCM with a 96-bit random nonce and a 128-bit tag):
/// <list type="bullet">
/// <item><see cref="WrappedKey"/>: 12-byte nonce ‖ 32-byte encrypted data key ‖ 16-byte tag (60 bytes).</item>
/// <item><see cref="Ciphertext"/>: 12-byte nonce ‖ encrypted UTF-8 payload ‖ 16-byte tag.</item>
/// </list>
/// Store all three values on the owning row; none of them is useful without the master key.
/// </remarks>
/// <param name="KeyId">Id of the master key that wrapped <see cref="WrappedKey"/>.</param>
/// <param name="WrappedKey">The per-payload data key, encrypted under the master key.</param>
/// <param name="Ciphertext">The payload, encrypted under the data key and bound to its owner.</param>
public sealed record EncryptedSecret(string KeyId, byte[] WrappedKey, byte[] Ciphertext);

/// <summary>A compact text form of <see cref="EncryptedSecret"/> for a single text column: <c>keyId.wrappedKey.ciphertext</c> (base64url).</summary>
public static class EncryptedSecretText
{
    public static string Format(EncryptedSecret value) =>
        $"{value.KeyId}.{System.Buffers.Text.Base64Url.EncodeToString(value.WrappedKey)}.{System.Buffers.Text.Base64Url.EncodeToString(value.Ciphertext)}";

    public static EncryptedSecret Parse(string text)
    {
        var parts = text.Split('.');
        if (parts.Length != 3) throw new FormatException("Not an encrypted secret.");
        return new EncryptedSecret(parts[0], System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]), System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]));
    }
}

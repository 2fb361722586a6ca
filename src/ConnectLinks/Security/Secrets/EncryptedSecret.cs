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

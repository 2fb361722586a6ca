using System.Text.Json;
using ConnectLinks.Security.Secrets;

namespace ConnectLinks.Connections;

/// <summary>Puts a connection's secret fields into its encrypted columns and takes them out again.</summary>
public sealed class ConnectionSecrets(SecretBox box)
{
    public void Seal(Connection connection, IReadOnlyDictionary<string, string> secrets)
    {
        var sealedValue = box.Protect(JsonSerializer.Serialize(secrets), connection.SecretOwner);
        connection.SecretKeyId = sealedValue.KeyId;
        connection.SecretWrappedKey = sealedValue.WrappedKey;
        connection.SecretCiphertext = sealedValue.Ciphertext;
    }

    public Dictionary<string, string> Open(Connection connection) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(
            box.Unprotect(new EncryptedSecret(connection.SecretKeyId, connection.SecretWrappedKey, connection.SecretCiphertext), connection.SecretOwner)) ?? [];

    /// <summary>Re-wraps the data key under the current master key (for <c>keys rotate</c>); false when already current.</summary>
    public bool Rewrap(Connection connection)
    {
        var current = new EncryptedSecret(connection.SecretKeyId, connection.SecretWrappedKey, connection.SecretCiphertext);
        if (!box.NeedsRewrap(current)) return false;
        var rewrapped = box.Rewrap(current);
        connection.SecretKeyId = rewrapped.KeyId;
        connection.SecretWrappedKey = rewrapped.WrappedKey;
        return true;
    }
}

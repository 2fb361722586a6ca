namespace ConnectLinks.Security.Secrets;

/// <summary>
/// Supplies the master keys that wrap connection data keys. A seam so the key material can come
/// from configuration today and from a key vault or KMS later without touching <see cref="SecretBox"/>.
/// </summary>
public interface IMasterKeySource
{
    /// <summary>
    /// Returns the key ring. Implementations load keys once and return the same ring afterwards;
    /// callers may invoke this on every request.
    /// </summary>
    /// <exception cref="InvalidOperationException">No usable master key is configured.</exception>
    MasterKeyRing GetKeyRing();
}

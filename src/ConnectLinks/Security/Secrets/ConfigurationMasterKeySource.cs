using System.Security.Cryptography;

namespace ConnectLinks.Security.Secrets;

/// <summary>
/// Reads master keys from configuration (<c>ConnectLinks:Encryption:Keys:&lt;keyId&gt;</c> = base64 of
/// 32 bytes, <c>ConnectLinks:Encryption:CurrentKeyId</c>). In Development, when none is configured, a
/// key is generated once into <c>&lt;dataDir&gt;/master.key</c> and reused; in every other environment
/// a missing key is a start-up error.
/// </summary>
/// <remarks>Keys are read on first use and then kept for the life of the process.</remarks>
public sealed class ConfigurationMasterKeySource : IMasterKeySource
{
    /// <summary>Configuration section holding one base64 key per key id.</summary>
    public const string KeysSection = "ConnectLinks:Encryption:Keys";

    /// <summary>Configuration key naming the key that wraps new data keys.</summary>
    public const string CurrentKeyIdKey = "ConnectLinks:Encryption:CurrentKeyId";

    /// <summary>File name of the generated Development key inside the data directory.</summary>
    public const string DevelopmentKeyFileName = "master.key";

    private readonly IConfiguration configuration;
    private readonly IHostEnvironment environment;
    private readonly Lazy<MasterKeyRing> ring;

    /// <summary>Creates the source; nothing is read until <see cref="GetKeyRing"/> is first called.</summary>
    /// <param name="configuration">Application configuration; read lazily so sources added after registration (tests, overrides) count.</param>
    /// <param name="environment">Decides whether a missing key may be generated (Development only).</param>
    /// <param name="dataDirectory">Where the Development key file lives.</param>
    public ConfigurationMasterKeySource(IConfiguration configuration, IHostEnvironment environment, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        this.configuration = configuration;
        this.environment = environment;
        DevelopmentKeyFilePath = Path.Combine(dataDirectory, DevelopmentKeyFileName);
        // A failure is cached too: a bad configuration does not fix itself, and retrying would
        // only repeat the same error on every request.
        ring = new Lazy<MasterKeyRing>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Full path of the Development key file (it may not exist).</summary>
    public string DevelopmentKeyFilePath { get; }

    /// <inheritdoc />
    public MasterKeyRing GetKeyRing() => ring.Value;

    private MasterKeyRing Load()
    {
        var keys = ReadConfiguredKeys();
        try
        {
            if (keys.Count == 0)
            {
                if (!environment.IsDevelopment())
                {
                    throw new InvalidOperationException(
                        $"No master key for connection secrets is configured (environment '{environment.EnvironmentName}'). " +
                        $"Set {KeysSection}:<keyId> to a base64-encoded 32-byte key (for example the output of `openssl rand -base64 32`) " +
                        $"and {CurrentKeyIdKey} to that key id; as environment variables: " +
                        "ConnectLinks__Encryption__Keys__<keyId> and ConnectLinks__Encryption__CurrentKeyId. " +
                        "Only Development generates a key file on its own.");
                }
                var generated = DevelopmentMasterKeyFile.LoadOrCreate(DevelopmentKeyFilePath);
                keys.Add(generated.KeyId, generated.Key);
                return new MasterKeyRing(generated.KeyId, keys);
            }

            var currentKeyId = ResolveCurrentKeyId(keys);

            // A developer who starts configuring keys must still be able to read what was stored
            // under the generated key, so it stays in the ring for decryption (and keys rotate).
            if (environment.IsDevelopment() && File.Exists(DevelopmentKeyFilePath))
            {
                var existing = DevelopmentMasterKeyFile.Read(DevelopmentKeyFilePath);
                if (!keys.TryAdd(existing.KeyId, existing.Key))
                {
                    CryptographicOperations.ZeroMemory(existing.Key);
                }
            }

            return new MasterKeyRing(currentKeyId, keys);
        }
        finally
        {
            // The ring keeps its own copies.
            foreach (var key in keys.Values)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private Dictionary<string, byte[]> ReadConfiguredKeys()
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in configuration.GetSection(KeysSection).GetChildren())
        {
            var name = $"{KeysSection}:{entry.Key}";
            if (!MasterKeyRing.IsValidKeyId(entry.Key))
            {
                throw new InvalidOperationException(
                    $"{name}: the key id '{entry.Key}' is not valid; use 1-64 letters, digits, '.', '_' or '-'.");
            }
            if (string.IsNullOrWhiteSpace(entry.Value))
            {
                throw new InvalidOperationException($"{name} is empty; it must be a base64-encoded 32-byte key.");
            }

            // Messages below name the setting and the decoded length, never the value.
            byte[] key;
            try
            {
                key = Convert.FromBase64String(entry.Value.Trim());
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{name} is not valid base64; it must be a base64-encoded 32-byte key (`openssl rand -base64 32`).");
            }
            if (key.Length != MasterKeyRing.KeySizeInBytes)
            {
                CryptographicOperations.ZeroMemory(key);
                throw new InvalidOperationException(
                    $"{name} decodes to {key.Length} bytes; a master key must be exactly {MasterKeyRing.KeySizeInBytes} bytes (AES-256). " +
                    "Generate one with `openssl rand -base64 32`.");
            }
            keys.Add(entry.Key, key);
        }
        return keys;
    }

    private string ResolveCurrentKeyId(Dictionary<string, byte[]> keys)
    {
        var currentKeyId = configuration[CurrentKeyIdKey];
        if (string.IsNullOrWhiteSpace(currentKeyId))
        {
            if (keys.Count == 1)
            {
                // One key leaves nothing to choose; requiring the id as well would only add a way to fail.
                return keys.Keys.Single();
            }
            throw new InvalidOperationException(
                $"{keys.Count} master keys are configured under {KeysSection} ({string.Join(", ", keys.Keys)}); " +
                $"set {CurrentKeyIdKey} to the one that should encrypt new secrets.");
        }
        if (!keys.ContainsKey(currentKeyId))
        {
            throw new InvalidOperationException(
                $"{CurrentKeyIdKey} is '{currentKeyId}', but {KeysSection}:{currentKeyId} is not configured " +
                $"(configured: {string.Join(", ", keys.Keys)}).");
        }
        return currentKeyId;
    }
}

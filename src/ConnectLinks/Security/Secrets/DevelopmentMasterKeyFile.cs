using System.Security.Cryptography;
using System.Text.Json;

namespace ConnectLinks.Security.Secrets;

/// <summary>
/// The generated master key used in Development so the service runs with no setup:
/// <c>{"keyId":"dev-…","key":"&lt;base64 of 32 bytes&gt;"}</c>, readable by the owner only (0600).
/// </summary>
internal static class DevelopmentMasterKeyFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Reads the key file, creating it with a new random key first if it does not exist.</summary>
    public static (string KeyId, byte[] Key) LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return Read(path);
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);

        var keyId = "dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var key = RandomNumberGenerator.GetBytes(MasterKeyRing.KeySizeInBytes);
        var content = JsonSerializer.SerializeToUtf8Bytes(new KeyFileContent(keyId, Convert.ToBase64String(key)), JsonOptions);

        // Written under a temporary name and moved into place without overwriting, so a second
        // process starting at the same moment (server and CLI) never reads a half-written file and
        // both end up with the same key.
        var temporaryPath = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                // Set at creation so the key is never readable by others, not even for a moment.
                options.UnixCreateMode = OwnerReadWrite;
            }
            using (var stream = new FileStream(temporaryPath, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temporaryPath, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                CryptographicOperations.ZeroMemory(key);
                return Read(path);
            }
            return (keyId, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
            if (File.Exists(temporaryPath))
            {
                File.Delete(temporaryPath);
            }
        }
    }

    /// <summary>Reads and validates an existing key file.</summary>
    /// <exception cref="InvalidOperationException">The file is not a valid key file; the message never contains the key.</exception>
    public static (string KeyId, byte[] Key) Read(string path)
    {
        KeyFileContent? content;
        try
        {
            content = JsonSerializer.Deserialize<KeyFileContent>(File.ReadAllBytes(path), JsonOptions);
        }
        catch (JsonException)
        {
            throw Invalid(path, "it is not valid JSON");
        }
        if (content is null || !MasterKeyRing.IsValidKeyId(content.KeyId))
        {
            throw Invalid(path, "it has no valid \"keyId\"");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(content.Key ?? "");
        }
        catch (FormatException)
        {
            throw Invalid(path, "its \"key\" is not valid base64");
        }
        if (key.Length != MasterKeyRing.KeySizeInBytes)
        {
            CryptographicOperations.ZeroMemory(key);
            throw Invalid(path, $"its \"key\" decodes to {key.Length} bytes instead of {MasterKeyRing.KeySizeInBytes}");
        }
        return (content.KeyId, key);
    }

    private static InvalidOperationException Invalid(string path, string reason) => new(
        $"The development master key file '{path}' cannot be used: {reason}. " +
        "Restore it, or delete it to generate a new key (secrets encrypted with the old key become unreadable).");

    private sealed record KeyFileContent(string KeyId, string? Key);
}

using System.Security.Cryptography;
using System.Text;
using ConnectLinks.Security.Secrets;

namespace ConnectLinks.Tests.Security;

public class SecretBoxTests
{
    private const string Owner = "org_1/conn_1";
    private const string Password = "hunter2-Ünïcødé-🔑";
    private static readonly string Payload = $$"""{"username":"svc_reader","password":"{{Password}}"}""";

    private readonly byte[] keyA = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] keyB = RandomNumberGenerator.GetBytes(32);
    private readonly SwitchableKeySource keySource = new();
    private readonly SecretBox box;

    public SecretBoxTests()
    {
        keySource.Ring = new MasterKeyRing("key-a", new Dictionary<string, byte[]> { ["key-a"] = keyA });
        box = new SecretBox(keySource);
    }

    [Fact]
    public void ProtectedSecretUnprotectsToTheSamePlaintext()
    {
        var secret = box.Protect(Payload, Owner);

        secret.KeyId.ShouldBe("key-a");
        box.Unprotect(secret, Owner).ShouldBe(Payload);
    }

    [Fact]
    public void EmptyPayloadRoundTrips()
    {
        box.Unprotect(box.Protect("", Owner), Owner).ShouldBe("");
    }

    [Fact]
    public void StoredBytesFollowTheDocumentedLayout()
    {
        var secret = box.Protect(Payload, Owner);

        // Decrypt independently with AesGcm to pin the layout other code and tools may rely on:
        // nonce(12) ‖ ciphertext ‖ tag(16) for both values.
        secret.WrappedKey.Length.ShouldBe(12 + 32 + 16);
        var dataKey = OpenIndependently(keyA, secret.WrappedKey, "ConnectLinks.DataKey.v1\0key-a");
        var plaintext = OpenIndependently(dataKey, secret.Ciphertext, "ConnectLinks.ConnectionSecret.v1\0" + Owner);

        Encoding.UTF8.GetString(plaintext).ShouldBe(Payload);
        secret.Ciphertext.Length.ShouldBe(12 + Encoding.UTF8.GetByteCount(Payload) + 16);
    }

    [Fact]
    public void CiphertextContainsNoPlaintextBytes()
    {
        var secret = box.Protect(Payload, Owner);

        foreach (var stored in new[] { secret.Ciphertext, secret.WrappedKey, Encoding.UTF8.GetBytes(secret.KeyId) })
        {
            Contains(stored, Encoding.UTF8.GetBytes(Password)).ShouldBeFalse();
            Contains(stored, Encoding.UTF8.GetBytes("svc_reader")).ShouldBeFalse();
            Contains(stored, Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)))).ShouldBeFalse();
        }
        Contains(secret.WrappedKey, keyA).ShouldBeFalse();
        secret.ToString().ShouldNotContain(Password);
    }

    [Fact]
    public void EveryProtectionUsesAFreshDataKeyAndNonce()
    {
        var first = box.Protect(Payload, Owner);
        var second = box.Protect(Payload, Owner);

        second.Ciphertext.ShouldNotBe(first.Ciphertext);
        second.WrappedKey.ShouldNotBe(first.WrappedKey);
        second.Ciphertext[..12].ShouldNotBe(first.Ciphertext[..12]);
        second.WrappedKey[..12].ShouldNotBe(first.WrappedKey[..12]);
        var firstDataKey = OpenIndependently(keyA, first.WrappedKey, "ConnectLinks.DataKey.v1\0key-a");
        var secondDataKey = OpenIndependently(keyA, second.WrappedKey, "ConnectLinks.DataKey.v1\0key-a");
        secondDataKey.ShouldNotBe(firstDataKey);
    }

    public static TheoryData<string, int> TamperedParts => new()
    {
        { "ciphertext nonce", 0 },
        { "ciphertext body", 12 },
        { "ciphertext tag", -1 },
        { "wrapped key nonce", 0 },
        { "wrapped key body", 20 },
        { "wrapped key tag", -1 },
    };

    [Theory]
    [MemberData(nameof(TamperedParts))]
    public void TamperedSecretFailsWithoutRevealingThePlaintext(string part, int index)
    {
        var secret = box.Protect(Payload, Owner);
        var bytes = part.StartsWith("wrapped", StringComparison.Ordinal) ? secret.WrappedKey : secret.Ciphertext;
        bytes[index < 0 ? bytes.Length + index : index] ^= 0x01;

        var exception = Should.Throw<CryptographicException>(() => box.Unprotect(secret, Owner));

        exception.ToString().ShouldNotContain(Password);
        exception.ToString().ShouldNotContain("svc_reader");
    }

    [Fact]
    public void TruncatedCiphertextFailsWithCryptographicException()
    {
        var secret = box.Protect(Payload, Owner);

        Should.Throw<CryptographicException>(() => box.Unprotect(secret with { Ciphertext = secret.Ciphertext[..20] }, Owner));
        Should.Throw<CryptographicException>(() => box.Unprotect(secret with { WrappedKey = secret.WrappedKey[..59] }, Owner));
        Should.Throw<CryptographicException>(() => box.Unprotect(secret with { Ciphertext = secret.Ciphertext[..^1] }, Owner));
    }

    [Fact]
    public void SecretCopiedToAnotherOwnerFailsToDecrypt()
    {
        var secret = box.Protect(Payload, "org_1/conn_1");

        var exception = Should.Throw<CryptographicException>(() => box.Unprotect(secret, "org_1/conn_2"));
        Should.Throw<CryptographicException>(() => box.Unprotect(secret, "org_2/conn_1"));

        exception.Message.ShouldNotContain(Password);
    }

    [Fact]
    public void WrappedKeyRelabelledToAnotherKeyIdFailsToDecrypt()
    {
        // Same key bytes under two ids: only the id binding can tell them apart.
        keySource.Ring = new MasterKeyRing("key-a", new Dictionary<string, byte[]> { ["key-a"] = keyA, ["key-alias"] = keyA });
        var secret = box.Protect(Payload, Owner);

        Should.Throw<CryptographicException>(() => box.Unprotect(secret with { KeyId = "key-alias" }, Owner));
    }

    [Fact]
    public void SecretWrappedByAnUnknownKeyFailsNamingTheKeyId()
    {
        var secret = box.Protect(Payload, Owner);
        keySource.Ring = new MasterKeyRing("key-b", new Dictionary<string, byte[]> { ["key-b"] = keyB });

        var exception = Should.Throw<CryptographicException>(() => box.Unprotect(secret, Owner));

        exception.Message.ShouldContain("key-a");
    }

    [Fact]
    public void EmptyAssociatedDataIsRefused()
    {
        Should.Throw<ArgumentException>(() => box.Protect(Payload, ""));
    }

    [Fact]
    public void RewrapMovesASecretToTheCurrentKeyWithoutTouchingThePayload()
    {
        var secret = box.Protect(Payload, Owner);
        keySource.Ring = new MasterKeyRing("key-b", new Dictionary<string, byte[]> { ["key-a"] = keyA, ["key-b"] = keyB });

        var rewrapped = box.Rewrap(secret);

        rewrapped.KeyId.ShouldBe("key-b");
        rewrapped.WrappedKey.ShouldNotBe(secret.WrappedKey);
        rewrapped.Ciphertext.ShouldBe(secret.Ciphertext);
        box.Unprotect(rewrapped, Owner).ShouldBe(Payload);

        // Key A retired: the rewrapped secret still decrypts, the old one no longer can.
        keySource.Ring = new MasterKeyRing("key-b", new Dictionary<string, byte[]> { ["key-b"] = keyB });
        box.Unprotect(rewrapped, Owner).ShouldBe(Payload);
        Should.Throw<CryptographicException>(() => box.Unprotect(secret, Owner));
    }

    [Fact]
    public void OldSecretsStillDecryptBeforeTheyAreRewrapped()
    {
        var secret = box.Protect(Payload, Owner);
        keySource.Ring = new MasterKeyRing("key-b", new Dictionary<string, byte[]> { ["key-a"] = keyA, ["key-b"] = keyB });

        box.Unprotect(secret, Owner).ShouldBe(Payload);
        box.Protect(Payload, Owner).KeyId.ShouldBe("key-b");
    }

    [Fact]
    public void NeedsRewrapIsTrueOnlyForSecretsUnderAnOlderKey()
    {
        var underA = box.Protect(Payload, Owner);
        box.NeedsRewrap(underA).ShouldBeFalse();

        keySource.Ring = new MasterKeyRing("key-b", new Dictionary<string, byte[]> { ["key-a"] = keyA, ["key-b"] = keyB });

        box.NeedsRewrap(underA).ShouldBeTrue();
        box.NeedsRewrap(box.Rewrap(underA)).ShouldBeFalse();
        box.NeedsRewrap(underA with { KeyId = "KEY-B" }).ShouldBeFalse(); // ids are case-insensitive, like configuration keys
    }

    [Fact]
    public void KeyOfTheWrongLengthIsRefusedByTheRing()
    {
        var exception = Should.Throw<ArgumentException>(() =>
            new MasterKeyRing("short", new Dictionary<string, byte[]> { ["short"] = new byte[16] }));

        exception.Message.ShouldContain("32");
    }

    private static byte[] OpenIndependently(byte[] key, byte[] sealedBytes, string associatedData)
    {
        var plaintext = new byte[sealedBytes.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(sealedBytes[..12], sealedBytes[12..^16], sealedBytes[^16..], plaintext, Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private sealed class SwitchableKeySource : IMasterKeySource
    {
        public MasterKeyRing Ring { get; set; } = null!;

        public MasterKeyRing GetKeyRing() => Ring;
    }
}

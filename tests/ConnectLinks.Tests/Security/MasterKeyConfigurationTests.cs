using System.Security.Cryptography;
using System.Text.Json;
using ConnectLinks.Security.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace ConnectLinks.Tests.Security;

public sealed class MasterKeyConfigurationTests : IDisposable
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "connectlinks-secrets-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public void DevelopmentGeneratesAKeyFileOnFirstStartAndReusesItAfter()
    {
        var firstRun = Source(Environments.Development);
        var ring = firstRun.GetKeyRing();
        var keyFile = Path.Combine(dataDirectory, "master.key");
        File.Exists(keyFile).ShouldBeTrue();
        var written = File.ReadAllText(keyFile);
        var secret = new SecretBox(firstRun).Protect("{\"password\":\"p\"}", "org/conn");

        // A new process: same file, same key, same id.
        var secondRun = Source(Environments.Development);

        secondRun.GetKeyRing().CurrentKeyId.ShouldBe(ring.CurrentKeyId);
        File.ReadAllText(keyFile).ShouldBe(written);
        new SecretBox(secondRun).Unprotect(secret, "org/conn").ShouldBe("{\"password\":\"p\"}");
        Directory.GetFiles(dataDirectory).ShouldBe([keyFile]); // no temporary file left behind
    }

    [Fact]
    public void DevelopmentKeyFileHoldsTheKeyIdAndA32ByteKey()
    {
        var ring = Source(Environments.Development).GetKeyRing();

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dataDirectory, "master.key")));
        json.RootElement.GetProperty("keyId").GetString().ShouldBe(ring.CurrentKeyId);
        Convert.FromBase64String(json.RootElement.GetProperty("key").GetString()!).Length.ShouldBe(32);
    }

    [Fact]
    public void DevelopmentKeyFileIsReadableByItsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix modes do not exist there; the file inherits the data directory's ACL.
        }

        Source(Environments.Development).GetKeyRing();

        File.GetUnixFileMode(Path.Combine(dataDirectory, "master.key"))
            .ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void ProductionWithoutAKeyFailsNamingTheConfigurationKeys()
    {
        var exception = Should.Throw<InvalidOperationException>(() => Source(Environments.Production).GetKeyRing());

        exception.Message.ShouldContain("ConnectLinks:Encryption:Keys:");
        exception.Message.ShouldContain("ConnectLinks:Encryption:CurrentKeyId");
        Directory.Exists(dataDirectory).ShouldBeFalse(); // never generates a key outside Development
    }

    [Fact]
    public async Task ProductionHostStartupFailsWithoutAKey()
    {
        using var host = Host(Environments.Production, new Dictionary<string, string?>());

        var exception = await Should.ThrowAsync<InvalidOperationException>(() => host.StartAsync());

        exception.Message.ShouldContain("ConnectLinks:Encryption:Keys");
    }

    [Fact]
    public async Task ProductionHostWithAConfiguredKeyStartsAndEncrypts()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        using var host = Host(Environments.Production, new Dictionary<string, string?>
        {
            ["ConnectLinks:Encryption:Keys:prod-2025"] = key,
            ["ConnectLinks:Encryption:CurrentKeyId"] = "prod-2025",
        });

        await host.StartAsync();
        var box = host.Services.GetRequiredService<SecretBox>();
        var secret = box.Protect("{\"token\":\"t\"}", "org/conn");

        secret.KeyId.ShouldBe("prod-2025");
        box.Unprotect(secret, "org/conn").ShouldBe("{\"token\":\"t\"}");
        await host.StopAsync();
    }

    [Theory]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void ConfiguredKeyOfTheWrongLengthIsRefusedWithoutEchoingIt(int length)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(length));

        var exception = Should.Throw<InvalidOperationException>(() =>
            Source(Environments.Production, new() { ["ConnectLinks:Encryption:Keys:k1"] = key }).GetKeyRing());

        exception.Message.ShouldContain("ConnectLinks:Encryption:Keys:k1");
        exception.Message.ShouldContain($"{length} bytes");
        exception.Message.ShouldNotContain(key);
    }

    [Fact]
    public void ConfiguredKeyThatIsNotBase64IsRefusedWithoutEchoingIt()
    {
        var exception = Should.Throw<InvalidOperationException>(() =>
            Source(Environments.Production, new() { ["ConnectLinks:Encryption:Keys:k1"] = "not base64 at all!" }).GetKeyRing());

        exception.Message.ShouldContain("ConnectLinks:Encryption:Keys:k1");
        exception.Message.ShouldNotContain("not base64 at all!");
    }

    [Fact]
    public void SingleConfiguredKeyIsCurrentWithoutNamingIt()
    {
        var ring = Source(Environments.Production, new()
        {
            ["ConnectLinks:Encryption:Keys:only"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }).GetKeyRing();

        ring.CurrentKeyId.ShouldBe("only");
    }

    [Fact]
    public void SeveralConfiguredKeysWithoutACurrentKeyIdAreRefused()
    {
        var exception = Should.Throw<InvalidOperationException>(() => Source(Environments.Production, new()
        {
            ["ConnectLinks:Encryption:Keys:a"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["ConnectLinks:Encryption:Keys:b"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }).GetKeyRing());

        exception.Message.ShouldContain("ConnectLinks:Encryption:CurrentKeyId");
    }

    [Fact]
    public void CurrentKeyIdNamingAMissingKeyIsRefused()
    {
        var exception = Should.Throw<InvalidOperationException>(() => Source(Environments.Production, new()
        {
            ["ConnectLinks:Encryption:Keys:a"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["ConnectLinks:Encryption:CurrentKeyId"] = "b",
        }).GetKeyRing());

        exception.Message.ShouldContain("ConnectLinks:Encryption:Keys:b");
    }

    [Fact]
    public void RotationThroughConfigurationKeepsOldSecretsReadableUntilRewrapped()
    {
        var keyA = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var keyB = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var secret = new SecretBox(Source(Environments.Production, new() { ["ConnectLinks:Encryption:Keys:a"] = keyA }))
            .Protect("{\"password\":\"p\"}", "org/conn");

        // Deploy with B added as current, A kept for decryption; run keys rotate.
        var rotating = new SecretBox(Source(Environments.Production, new()
        {
            ["ConnectLinks:Encryption:Keys:a"] = keyA,
            ["ConnectLinks:Encryption:Keys:b"] = keyB,
            ["ConnectLinks:Encryption:CurrentKeyId"] = "b",
        }));
        rotating.NeedsRewrap(secret).ShouldBeTrue();
        var rewrapped = rotating.Rewrap(secret);

        // Deploy with A removed.
        var afterRotation = new SecretBox(Source(Environments.Production, new() { ["ConnectLinks:Encryption:Keys:b"] = keyB }));
        rewrapped.KeyId.ShouldBe("b");
        afterRotation.Unprotect(rewrapped, "org/conn").ShouldBe("{\"password\":\"p\"}");
    }

    [Fact]
    public void DevelopmentKeyStaysReadableAfterKeysAreConfigured()
    {
        var secret = new SecretBox(Source(Environments.Development)).Protect("{\"password\":\"p\"}", "org/conn");

        var configured = new SecretBox(Source(Environments.Development, new()
        {
            ["ConnectLinks:Encryption:Keys:real"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }));

        configured.Unprotect(secret, "org/conn").ShouldBe("{\"password\":\"p\"}");
        configured.NeedsRewrap(secret).ShouldBeTrue();
        configured.Rewrap(secret).KeyId.ShouldBe("real");
    }

    [Fact]
    public void CorruptDevelopmentKeyFileFailsNamingTheFile()
    {
        Directory.CreateDirectory(dataDirectory);
        var keyFile = Path.Combine(dataDirectory, "master.key");
        File.WriteAllText(keyFile, """{"keyId":"dev-1","key":"AAAA"}""");

        var exception = Should.Throw<InvalidOperationException>(() => Source(Environments.Development).GetKeyRing());

        exception.Message.ShouldContain(keyFile);
        File.ReadAllText(keyFile).ShouldBe("""{"keyId":"dev-1","key":"AAAA"}"""); // never silently replaced
    }

    private ConfigurationMasterKeySource Source(string environmentName, Dictionary<string, string?>? settings = null) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build(), new TestEnvironment(environmentName), dataDirectory);

    private IHost Host(string environmentName, Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = environmentName,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSecretEncryption(builder.Configuration, builder.Environment, dataDirectory);
        return builder.Build();
    }

    private sealed class TestEnvironment(string environmentName) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = environmentName;
        public string ApplicationName { get; set; } = "ConnectLinks.Tests";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}

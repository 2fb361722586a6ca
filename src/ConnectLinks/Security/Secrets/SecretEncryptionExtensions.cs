namespace ConnectLinks.Security.Secrets;

/// <summary>Registers connection-secret encryption.</summary>
public static class SecretEncryptionExtensions
{
    /// <summary>
    /// Adds <see cref="SecretBox"/> with master keys from configuration (see <see cref="ConfigurationMasterKeySource"/>),
    /// and checks the keys when the host starts so a missing or malformed key stops start-up
    /// instead of failing the first request that touches a secret.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">Application configuration holding <c>ConnectLinks:Encryption:*</c>.</param>
    /// <param name="environment">Only Development may generate a key.</param>
    /// <param name="dataDirectory">Where the Development key file is kept.</param>
    public static IServiceCollection AddSecretEncryption(
        this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment, string dataDirectory)
    {
        services.AddSingleton<IMasterKeySource>(new ConfigurationMasterKeySource(configuration, environment, dataDirectory));
        services.AddSingleton<SecretBox>();
        services.AddHostedService<MasterKeyStartupCheck>();
        return services;
    }

    // Resolves the key ring when the host starts: in Production this is what turns
    // "no key configured" into a start-up failure with the message naming the settings.
    private sealed class MasterKeyStartupCheck(IMasterKeySource keySource) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            keySource.GetKeyRing();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

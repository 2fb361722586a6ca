namespace ConnectLinks.OAuth;

public static class OAuthSetup
{
    /// <summary>The OAuth flow, the token endpoint client and the refresh job. Reads <c>ConnectLinks:OAuth</c>.</summary>
    public static IServiceCollection AddOAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<OAuthOptions>(configuration.GetSection(OAuthOptions.Section));
        services.AddSingleton<TokenEndpoint>();
        services.AddSingleton<OAuthFlow>();
        services.AddSingleton<OAuthRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<OAuthRefresher>());
        return services;
    }
}

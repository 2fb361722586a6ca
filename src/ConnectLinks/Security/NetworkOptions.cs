namespace ConnectLinks.Security;

/// <summary>Settings under <c>ConnectLinks:Network</c>.</summary>
public sealed class NetworkOptions
{
    public const string Section = "ConnectLinks:Network";

    /// <summary>
    /// Lets connection tests reach loopback, link-local and private addresses. Off by default
    /// (SSRF); on for on-premise installs and tests.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }
}

namespace ConnectLinks.Connectors;

/// <summary>Settings under <c>ConnectLinks:Connectors</c>.</summary>
public sealed class ConnectorsOptions
{
    public const string Section = "ConnectLinks:Connectors";

    /// <summary>How long one check may take.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a whole connection test may take.</summary>
    public TimeSpan TestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Folder of definition files; defaults to <c>Connectors/Definitions</c> beside the binary.</summary>
    public string? DefinitionsPath { get; set; }

    /// <summary>
    /// Per connector id, a base URL that replaces the definition's (tests point a SaaS
    /// definition at a local server; an operator may use a regional endpoint).
    /// </summary>
    public Dictionary<string, string> BaseUrlOverrides { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

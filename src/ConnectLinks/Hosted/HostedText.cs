namespace ConnectLinks.Hosted;

/// <summary>Words the pages show for catalog values.</summary>
public static class HostedText
{
    private static readonly Dictionary<string, string> Categories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["api"] = "API", ["crm"] = "CRM", ["erp"] = "ERP", ["hr"] = "HR", ["hris"] = "HRIS",
    };

    /// <summary>A category as a heading: acronyms in capitals, other words capitalised.</summary>
    public static string Category(string category) =>
        Categories.TryGetValue(category, out var known) ? known
        : category.Length == 0 ? category : char.ToUpperInvariant(category[0]) + category[1..];
}

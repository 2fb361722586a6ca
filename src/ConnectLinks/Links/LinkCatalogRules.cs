using ConnectLinks.Connectors;

namespace ConnectLinks.Links;

/// <summary>What a link may name: connectors and categories that exist in the catalog.</summary>
public sealed class LinkCatalogRules(ConnectorCatalog catalog)
{
    public bool ConnectorExists(string id) => catalog.Find(id) is not null;
    public bool CategoryExists(string category) => catalog.Categories.Contains(category, StringComparer.Ordinal);
}

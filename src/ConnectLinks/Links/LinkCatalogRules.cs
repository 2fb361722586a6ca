namespace ConnectLinks.Links;

/// <summary>What a link may name: connectors and categories that exist in the catalog.</summary>
public sealed class LinkCatalogRules
{
    public bool ConnectorExists(string id) => LinkRules.CatalogId().IsMatch(id);
    public bool CategoryExists(string id) => LinkRules.CatalogId().IsMatch(id);
}

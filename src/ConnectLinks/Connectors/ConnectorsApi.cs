using ConnectLinks.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ConnectLinks.Connectors;

/// <summary>A connector as the catalog endpoint shows it: what the form asks for and what the test checks.</summary>
public sealed record ConnectorView(
    string Id, string Name, string Category, string AuthMode, string Description, string? LogoUrl,
    IReadOnlyList<ConnectorFieldView> Fields, IReadOnlyList<ConnectorCheckInfo> Checks)
{
    public static ConnectorView From(ConnectorDefinition c) => new(c.Id, c.Name, c.Category, c.AuthMode, c.Description, c.LogoUrl,
        [.. c.Fields.Select(f => new ConnectorFieldView(f.Name, f.Label, f.Type, f.Required, f.Secret, f.Help, f.Placeholder,
            f.Secret ? null : f.Default, f.Options, f.MaxLength, f.Min, f.Max))], c.Checks);
}

public sealed record ConnectorFieldView(
    string Name, string Label, string Type, bool Required, bool Secret, string? Help, string? Placeholder, string? Default,
    IReadOnlyList<ConnectorFieldOption> Options, int MaxLength, long? Min, long? Max);

public static class ConnectorsApi
{
    public static RouteGroupBuilder MapConnectors(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/connectors").WithTags("Connectors").RequireApiKey();
        group.MapGet("/", List).WithName("ListConnectors").WithSummary("The connector catalog: fields, auth mode and checks of each connector");
        return group;
    }

    private static Ok<ConnectorCatalogView> List(ConnectorCatalog catalog) =>
        TypedResults.Ok(new ConnectorCatalogView([.. catalog.All.Select(ConnectorView.From)], catalog.Categories));
}

public sealed record ConnectorCatalogView(IReadOnlyList<ConnectorView> Data, IReadOnlyList<string> Categories);

using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace ConnectLinks.Operations;

/// <summary>Health, readiness, the OpenAPI document and the docs page.</summary>
public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Text("ok")).ExcludeFromDescription();
        routes.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        routes.MapOpenApi("/openapi/{documentName}.json");
        return routes;
    }
}

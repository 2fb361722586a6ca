using ConnectLinks.Api;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Security;
using ConnectLinks.Security.Secrets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.OAuth;

/// <summary>PUT body: the organization's OAuth app at the provider. The secret is write-only.</summary>
public sealed record OAuthClientRequest(string? ClientId = null, string? ClientSecret = null);

/// <summary>
/// The organization's OAuth app for one connector: the client id, whether a secret is stored (never the secret), and
/// the redirect URI to register at the provider.
/// </summary>
public sealed record OAuthClientView(string Connector, string? ClientId, bool ClientSecretSet, string RedirectUri, DateTimeOffset? UpdatedAt);

/// <summary><c>/v1/connectors/{id}/oauth-client</c>: per-organization OAuth client credentials (scope <c>settings:write</c> to change).</summary>
public static class OAuthClientsApi
{
    private const int MaxClientId = 512;
    private const int MaxClientSecret = 4096;

    public static RouteGroupBuilder MapOAuthClients(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/connectors/{id}/oauth-client").WithTags("Connectors").RequireApiKey();
        group.MapGet("/", Get).WithName("GetOAuthClient")
            .WithSummary("The organization's OAuth client for this connector: client_id, whether the secret is set, the redirect URI to register");
        group.MapPut("/", Put).WithName("PutOAuthClient").RequireAuthorization(Scopes.SettingsWrite)
            .WithSummary("Set the OAuth client id and secret for this connector (the secret is stored encrypted and never shown again)");
        group.MapDelete("/", Delete).WithName("DeleteOAuthClient").RequireAuthorization(Scopes.SettingsWrite)
            .WithSummary("Remove the OAuth client; links stop offering this connector");
        return group;
    }

    private static ConnectorDefinition? OAuthConnector(ConnectorCatalog catalog, string id) => catalog.Find(id) is { OAuth2: not null } c ? c : null;

    private static OAuthClientView View(HttpContext http, string connector, OAuthClient? client) =>
        new(connector, client?.ClientId, client is not null, PublicUrl.Of(http) + OAuthFlow.CallbackPath, client?.UpdatedAt);

    private static async Task<Results<Ok<OAuthClientView>, ProblemHttpResult>> Get(string id, HttpContext http, AppDbContext db, ConnectorCatalog catalog, CancellationToken ct)
    {
        if (OAuthConnector(catalog, id) is not { } connector) return Problems.Error("not_found", "No OAuth connector with this id.");
        var org = http.Caller().OrganizationId;
        var client = await db.OAuthClients.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationId == org && c.Connector == connector.Id, ct);
        return TypedResults.Ok(View(http, connector.Id, client));
    }

    private static async Task<Results<Ok<OAuthClientView>, ProblemHttpResult>> Put(
        string id, OAuthClientRequest request, HttpContext http, AppDbContext db, ConnectorCatalog catalog, SecretBox box, TimeProvider clock, CancellationToken ct)
    {
        if (OAuthConnector(catalog, id) is not { } connector) return Problems.Error("not_found", "No OAuth connector with this id.");
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.ClientId)) errors["client_id"] = ["is required."];
        else if (request.ClientId.Length > MaxClientId || request.ClientId.Any(char.IsControl)) errors["client_id"] = [$"must be at most {MaxClientId} printable characters."];
        if (string.IsNullOrEmpty(request.ClientSecret)) errors["client_secret"] = ["is required."];
        else if (request.ClientSecret.Length > MaxClientSecret || request.ClientSecret.Any(char.IsControl)) errors["client_secret"] = [$"must be at most {MaxClientSecret} printable characters."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var org = http.Caller().OrganizationId;
        var now = clock.Now();
        var client = await db.OAuthClients.FirstOrDefaultAsync(c => c.OrganizationId == org && c.Connector == connector.Id, ct);
        if (client is null)
        {
            client = new OAuthClient
            {
                OrganizationId = org, Connector = connector.Id, ClientId = "", SecretKeyId = "", SecretWrappedKey = [], SecretCiphertext = [], CreatedAt = now,
            };
            db.OAuthClients.Add(client);
        }
        client.ClientId = request.ClientId!.Trim();
        var secret = box.Protect(request.ClientSecret!, client.SecretOwner);
        client.SecretKeyId = secret.KeyId;
        client.SecretWrappedKey = secret.WrappedKey;
        client.SecretCiphertext = secret.Ciphertext;
        client.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(http, connector.Id, client));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, AppDbContext db, ConnectorCatalog catalog, CancellationToken ct)
    {
        if (OAuthConnector(catalog, id) is not { } connector) return Problems.Error("not_found", "No OAuth connector with this id.");
        var org = http.Caller().OrganizationId;
        await db.OAuthClients.Where(c => c.OrganizationId == org && c.Connector == connector.Id).ExecuteDeleteAsync(ct);
        return TypedResults.NoContent();
    }
}

using ConnectLinks.Api;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Links;
using ConnectLinks.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Connections;

/// <summary>A connection as the API shows it: configuration without secrets and the last test.</summary>
public sealed record ConnectionView(
    string Id, string Connector, string Kind, string Status, OwnerView Owner, string? LinkId,
    Dictionary<string, string> Config, Dictionary<string, string> Metadata, LastTestView? LastTest,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ConnectionView From(Connection c) => new(c.Id, c.Connector, c.Kind, c.Status,
        new OwnerView(c.OwnerId, c.OwnerName, c.OwnerUsername), c.LinkId, c.Config, c.Metadata,
        c.LastTestAt is { } at ? new LastTestView(at, c.LastTestOk ?? false, c.LastTestChecks) : null, c.CreatedAt, c.UpdatedAt);
}

public sealed record LastTestView(DateTimeOffset At, bool Ok, IReadOnlyList<CheckResult> Checks);

/// <summary>The decrypted credentials of a connection (scope <c>connections:secrets</c>).</summary>
public sealed record CredentialsView(string ConnectionId, string Connector, Dictionary<string, string> Config, Dictionary<string, string> Credentials);

/// <summary>The partner's connections API (SPEC §4).</summary>
public static class ConnectionsApi
{
    public static RouteGroupBuilder MapConnections(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/connections").WithTags("Connections").RequireApiKey();
        group.MapGet("/", List).WithName("ListConnections").RequireAuthorization(Scopes.ConnectionsRead)
            .WithSummary("List connections, newest first").WithDescription("Cursor pagination; filters owner_id, connector, kind, status.");
        group.MapGet("/{id}", Get).WithName("GetConnection").RequireAuthorization(Scopes.ConnectionsRead)
            .WithSummary("Get one connection (configuration without secrets, last test)");
        group.MapGet("/{id}/credentials", Credentials).WithName("GetConnectionCredentials").RequireAuthorization(Scopes.ConnectionsSecrets)
            .WithSummary("The decrypted credentials; needs scope connections:secrets and records connection.credentials_read");
        group.MapPost("/{id}/test", Test).WithName("TestConnection").RequireAuthorization(Scopes.ConnectionsRead)
            .WithSummary("Re-run the connector's checks now");
        group.MapDelete("/{id}", Delete).WithName("DeleteConnection").RequireAuthorization(Scopes.LinksWrite)
            .WithSummary("Delete a connection; its secrets are destroyed (needs scope links:write)");
        return group;
    }

    private static async Task<Results<Ok<Page<ConnectionView>>, ProblemHttpResult>> List(
        HttpContext http, AppDbContext db, CancellationToken ct,
        string? limit = null, string? cursor = null, string? owner_id = null, string? connector = null, string? kind = null, string? status = null)
    {
        var errors = new Dictionary<string, string[]>();
        var (take, after) = Pagination.Read(limit, cursor, "con", errors);
        if (kind is not (null or LinkKind.Destination or LinkKind.Source)) errors["kind"] = ["must be 'destination' or 'source'."];
        if (status is not (null or ConnectionStatus.Active or ConnectionStatus.NeedsReauth)) errors["status"] = ["must be 'active' or 'needs_reauth'."];
        if (connector is not null && !LinkRules.CatalogId().IsMatch(connector)) errors["connector"] = ["is not a connector id."];
        if (owner_id is { Length: > LinkRules.MaxTextLength }) errors["owner_id"] = [$"must be at most {LinkRules.MaxTextLength} characters."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var org = http.Caller().OrganizationId;
        var query = db.Connections.AsNoTracking().Where(c => c.OrganizationId == org);
        if (after is not null) query = query.Where(c => string.Compare(c.Id, after) < 0);
        if (owner_id is not null) query = query.Where(c => c.OwnerId == owner_id);
        if (connector is not null) query = query.Where(c => c.Connector == connector);
        if (kind is not null) query = query.Where(c => c.Kind == kind);
        if (status is not null) query = query.Where(c => c.Status == status);
        var rows = await query.OrderByDescending(c => c.Id).Take(take + 1).ToListAsync(ct);
        return TypedResults.Ok(Pagination.Page(rows.ConvertAll(ConnectionView.From), take, c => c.Id));
    }

    private static async Task<Connection?> FindAsync(AppDbContext db, string id, string org, CancellationToken ct) =>
        Ids.IsValid(id, "con") ? await db.Connections.FirstOrDefaultAsync(c => c.Id == id && c.OrganizationId == org, ct) : null;

    private static async Task<Results<Ok<ConnectionView>, ProblemHttpResult>> Get(string id, HttpContext http, AppDbContext db, CancellationToken ct) =>
        await FindAsync(db, id, http.Caller().OrganizationId, ct) is { } c ? TypedResults.Ok(ConnectionView.From(c)) : Problems.NotFound("connection");

    private static async Task<Results<Ok<CredentialsView>, ProblemHttpResult>> Credentials(
        string id, HttpContext http, AppDbContext db, ConnectionSecrets secrets, TimeProvider clock, CancellationToken ct)
    {
        var connection = await FindAsync(db, id, http.Caller().OrganizationId, ct);
        if (connection is null) return Problems.NotFound("connection");
        var credentials = secrets.Open(connection);
        // The read is recorded before the secrets leave, so no read goes unaudited.
        db.Events.Add(EventLog.ForConnection(connection, EventTypes.ConnectionCredentialsRead, clock.Now(), EventLog.Actor.From(http)));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new CredentialsView(connection.Id, connection.Connector, connection.Config, credentials));
    }

    private static async Task<Results<Ok<ConnectionView>, ProblemHttpResult>> Test(
        string id, HttpContext http, AppDbContext db, ConnectionSecrets secrets, ConnectorCatalog catalog, ConnectionTester tester, TimeProvider clock, CancellationToken ct)
    {
        var connection = await FindAsync(db, id, http.Caller().OrganizationId, ct);
        if (connection is null) return Problems.NotFound("connection");
        var connector = catalog.Find(connection.Connector);
        if (connector is null) return Problems.Error("conflict", $"The connector '{connection.Connector}' is no longer in the catalog.");
        var values = new Dictionary<string, string?>();
        foreach (var (k, v) in connection.Config) values[k] = v;
        foreach (var (k, v) in secrets.Open(connection)) values[k] = v;
        var result = await tester.TestAsync(connector, values, ct);

        var now = clock.Now();
        connection.LastTestAt = now;
        connection.LastTestOk = result.Ok;
        connection.LastTestChecks = [.. result.Checks];
        connection.UpdatedAt = now;
        db.Events.Add(EventLog.ForConnection(connection, result.Ok ? EventTypes.ConnectionUpdated : EventTypes.ConnectionTestFailed, now, EventLog.Actor.From(http)));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ConnectionView.From(connection));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var connection = await FindAsync(db, id, http.Caller().OrganizationId, ct);
        if (connection is null) return Problems.NotFound("connection");
        // The row goes, with its ciphertext and wrapped key: the secrets are destroyed, not flagged.
        db.Connections.Remove(connection);
        db.Events.Add(EventLog.ForConnection(connection, EventTypes.ConnectionDeleted, clock.Now(), EventLog.Actor.From(http)));
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}

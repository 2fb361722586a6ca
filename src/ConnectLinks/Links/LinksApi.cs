using ConnectLinks.Api;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Links;

/// <summary>The partner's links API (SPEC §4): create, list, read, regenerate, extend, revoke.</summary>
public static class LinksApi
{
    public static RouteGroupBuilder MapLinks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/links").WithTags("Links").RequireApiKey();

        group.MapPost("/", Create).WithName("CreateLink").RequireAuthorization(Scopes.LinksWrite)
            .WithSummary("Create a connect link").WithDescription("Returns the link with its token and URL; they are shown only here and on regenerate.");
        group.MapGet("/", List).WithName("ListLinks").RequireAuthorization(Scopes.LinksRead)
            .WithSummary("List links, newest first").WithDescription("Cursor pagination (limit 1–100, cursor); filters status, owner_id, connector, kind.");
        group.MapGet("/{id}", Get).WithName("GetLink").RequireAuthorization(Scopes.LinksRead).WithSummary("Get one link");
        group.MapPost("/{id}/regenerate", Regenerate).WithName("RegenerateLink").RequireAuthorization(Scopes.LinksWrite)
            .WithSummary("New token and URL; the old token dies at once and the link is waiting again");
        group.MapPost("/{id}/extend", Extend).WithName("ExtendLink").RequireAuthorization(Scopes.LinksWrite)
            .WithSummary("Move expires_at; the URL stays the same");
        group.MapDelete("/{id}", Revoke).WithName("RevokeLink").RequireAuthorization(Scopes.LinksWrite)
            .WithSummary("Revoke a link (idempotent; the record stays with status revoked)");
        return group;
    }

    private static async Task<Results<Created<CreatedLinkView>, ProblemHttpResult>> Create(
        CreateLinkRequest request, HttpContext http, WriteBatcher writes, AppDbContext db, LinkCatalogRules catalog, TimeProvider clock, CancellationToken ct)
    {
        var caller = http.Caller();
        var org = caller.Organization;
        var errors = LinkRules.Validate(request, org, catalog.ConnectorExists, catalog.CategoryExists);
        if (request.ConnectionId is not null)
        {
            // A reconnect link updates that connection in place, so it connects that connection's connector only.
            var existing = Ids.IsValid(request.ConnectionId, "con")
                ? await db.Connections.AsNoTracking().Where(c => c.Id == request.ConnectionId && c.OrganizationId == org.Id).Select(c => c.Connector).FirstOrDefaultAsync(ct)
                : null;
            if (existing is null) errors["connection_id"] = ["no connection with this id."];
            else if (request.Connectors is not null || request.Categories is not null || (request.Connector is not null && request.Connector != existing))
                errors["connection_id"] = [$"a reconnect link connects the connection's own connector ({existing}); leave out connectors and categories."];
            else request = request with { Connector = existing };
        }
        if (errors.Count > 0) return Problems.Validation(errors);

        var (link, token) = LinkFactory.New(request, org, clock);
        var now = link.CreatedAt;
        // The link and its event commit together, in a group commit shared with other requests.
        await writes.InsertAsync([link, EventLog.ForLink(link, EventTypes.LinkCreated, now, EventLog.Actor.From(http))], ct);
        return TypedResults.Created($"/v1/links/{link.Id}", CreatedLinkView.From(link, now, token, PublicUrl.Of(http)));
    }

    private static async Task<Results<Ok<Page<LinkView>>, ProblemHttpResult>> List(
        HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct,
        string? limit = null, string? cursor = null, string? status = null, string? owner_id = null, string? connector = null, string? kind = null)
    {
        var errors = new Dictionary<string, string[]>();
        var (take, after) = Pagination.Read(limit, cursor, "lnk", errors);
        if (status is not null && !LinkStatus.All.Contains(status)) errors["status"] = [$"must be one of {string.Join(", ", LinkStatus.All)}."];
        if (kind is not (null or LinkKind.Destination or LinkKind.Source)) errors["kind"] = ["must be 'destination' or 'source'."];
        if (connector is not null && !LinkRules.CatalogId().IsMatch(connector)) errors["connector"] = ["is not a connector id."];
        if (owner_id is { Length: > LinkRules.MaxTextLength }) errors["owner_id"] = [$"must be at most {LinkRules.MaxTextLength} characters."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var now = clock.Now();
        var org = http.Caller().OrganizationId;
        var query = db.Links.AsNoTracking().Where(l => l.OrganizationId == org);
        if (after is not null) query = query.Where(l => string.Compare(l.Id, after) < 0);
        if (owner_id is not null) query = query.Where(l => l.OwnerId == owner_id);
        if (kind is not null) query = query.Where(l => l.Kind == kind);
        if (connector is not null)
        {
            var needle = "," + connector + ",";
            query = query.Where(l => l.ConnectorList.Contains(needle));
        }
        if (status is not null)
        {
            // The reader's view of status: a live link past its expiry counts as expired before the sweep marks it.
            query = status switch
            {
                LinkStatus.Expired => query.Where(l => l.Status == LinkStatus.Expired || (LinkStatus.Live.Contains(l.Status) && l.ExpiresAt <= now)),
                _ when LinkStatus.IsFinal(status) => query.Where(l => l.Status == status),
                _ => query.Where(l => l.Status == status && l.ExpiresAt > now),
            };
        }
        var rows = await query.OrderByDescending(l => l.Id).Take(take + 1).ToListAsync(ct);
        return TypedResults.Ok(Pagination.Page(rows.ConvertAll(l => LinkView.From(l, now)), take, v => v.Id));
    }

    private static readonly Func<AppDbContext, string, string, CancellationToken, Task<Link?>> FindLink =
        EF.CompileAsyncQuery((AppDbContext db, string id, string org, CancellationToken ct) =>
            db.Links.AsNoTracking().FirstOrDefault(l => l.Id == id && l.OrganizationId == org));

    private static readonly RowQuery<Link> LinkById = new(nameof(Link.Id), nameof(Link.OrganizationId));

    private static async Task<Results<Ok<LinkView>, ProblemHttpResult>> Get(
        string id, HttpContext http, [FromServices] SqliteReadPool? sqliteReads, TimeProvider clock, CancellationToken ct)
    {
        var org = http.Caller().OrganizationId;
        // Note: the EF context is leased only when it is used (not on SQLite's fast path).
        var link = !Ids.IsValid(id, "lnk") ? null
            : sqliteReads is not null ? sqliteReads.Single(LinkById, id, org)
            : await FindLink(http.RequestServices.GetRequiredService<AppDbContext>(), id, org, ct);
        return link is null ? Problems.NotFound("link") : TypedResults.Ok(LinkView.From(link, clock.Now()));
    }

    private static async Task<Results<Ok<CreatedLinkView>, ProblemHttpResult>> Regenerate(
        string id, ExpiryRequest? request, HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        LinkRules.ExpiresIn(request?.ExpiresIn, "expires_in", errors);
        if (errors.Count > 0) return Problems.Validation(errors);
        if (!Ids.IsValid(id, "lnk")) return Problems.NotFound("link");

        var caller = http.Caller();
        var now = clock.Now();
        var token = OpaqueToken.New(OpaqueToken.LinkPrefix);
        var hash = OpaqueToken.Hash(token);
        var expiresAt = now.AddSeconds(request?.ExpiresIn ?? caller.Organization.DefaultLinkTtlSeconds);

        await using var tx = await db.Database.BeginWriteAsync(ct);
        // One conditional UPDATE: whichever regenerate commits last owns the only working token.
        var changed = await db.Links
            .Where(l => l.Id == id && l.OrganizationId == caller.OrganizationId && l.Status != LinkStatus.Completed)
            .ExecuteUpdateAsync(s => s
                .SetProperty(l => l.TokenHash, hash)
                .SetProperty(l => l.Status, LinkStatus.Waiting)
                .SetProperty(l => l.ExpiresAt, expiresAt)
                .SetProperty(l => l.Attempts, 0)
                .SetProperty(l => l.OpenedAt, (DateTimeOffset?)null)
                .SetProperty(l => l.RevokedAt, (DateTimeOffset?)null), ct);
        var link = await db.Links.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id && l.OrganizationId == caller.OrganizationId, ct);
        if (link is null) return Problems.NotFound("link");
        if (changed == 0) return Problems.Error("conflict", "This link is completed: its connection exists. Create a new link (or a reconnect link) instead.");
        db.Events.Add(EventLog.ForLink(link, EventTypes.LinkRegenerated, now, EventLog.Actor.From(http)));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(CreatedLinkView.From(link, now, token, PublicUrl.Of(http)));
    }

    private static async Task<Results<Ok<LinkView>, ProblemHttpResult>> Extend(
        string id, ExpiryRequest request, HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        LinkRules.ExpiresIn(request.ExpiresIn, "expires_in", errors, required: true);
        if (errors.Count > 0) return Problems.Validation(errors);
        if (!Ids.IsValid(id, "lnk")) return Problems.NotFound("link");

        var org = http.Caller().OrganizationId;
        var now = clock.Now();
        var expiresAt = now.AddSeconds(request.ExpiresIn!.Value);
        await using var tx = await db.Database.BeginWriteAsync(ct);
        var changed = await db.Links
            .Where(l => l.Id == id && l.OrganizationId == org && LinkStatus.Live.Contains(l.Status) && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, expiresAt), ct);
        var link = await db.Links.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id && l.OrganizationId == org, ct);
        if (link is null) return Problems.NotFound("link");
        if (changed == 0)
            return Problems.Error("conflict", $"This link is {link.EffectiveStatus(now)} and cannot be extended; regenerate it for a new URL instead.");
        db.Events.Add(EventLog.ForLink(link, EventTypes.LinkExtended, now, EventLog.Actor.From(http)));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(LinkView.From(link, now));
    }

    private static async Task<Results<Ok<LinkView>, ProblemHttpResult>> Revoke(
        string id, HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(id, "lnk")) return Problems.NotFound("link");
        var org = http.Caller().OrganizationId;
        var now = clock.Now();
        await using var tx = await db.Database.BeginWriteAsync(ct);
        var changed = await db.Links
            .Where(l => l.Id == id && l.OrganizationId == org && LinkStatus.Live.Contains(l.Status) && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.Revoked).SetProperty(l => l.RevokedAt, now), ct);
        var link = await db.Links.AsNoTracking().FirstOrDefaultAsync(l => l.Id == id && l.OrganizationId == org, ct);
        if (link is null) return Problems.NotFound("link");
        if (changed == 1)
        {
            db.Events.Add(EventLog.ForLink(link, EventTypes.LinkRevoked, now, EventLog.Actor.From(http)));
            await db.SaveChangesAsync(ct);
        }
        else if (link.Status == LinkStatus.Completed)
        {
            return Problems.Error("conflict", "This link is completed; delete its connection instead (DELETE /v1/connections/{id}).");
        }
        await tx.CommitAsync(ct);
        // Revoking an already revoked or expired link changes nothing and is not an error: the link is dead either way.
        return TypedResults.Ok(LinkView.From(link, now));
    }
}

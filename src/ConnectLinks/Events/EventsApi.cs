using ConnectLinks.Security;
using System.Text.Json;
using ConnectLinks.Api;
using ConnectLinks.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Events;

/// <summary>An event as the feed shows it.</summary>
public sealed record EventView(string Id, string Type, DateTimeOffset CreatedAt, string? LinkId, string? ConnectionId, JsonElement Data, ActorView Actor)
{
    public static EventView From(Event e)
    {
        using var data = JsonDocument.Parse(e.Data);
        return new(e.Id, e.Type, e.CreatedAt, e.LinkId, e.ConnectionId, data.RootElement.Clone(), new ActorView(e.ActorIp, e.ActorUserAgent));
    }
}

public sealed record ActorView(string? Ip, string? UserAgent);

/// <summary>The event feed: the polling alternative to webhooks (SPEC §4, §7).</summary>
public static class EventsApi
{
    public static RouteGroupBuilder MapEvents(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/events").WithTags("Events").RequireApiKey();
        group.MapGet("/", List).WithName("ListEvents")
            .WithSummary("The event feed, newest first").WithDescription("Cursor pagination; filters type, link_id, connection_id.");
        return group;
    }

    private static async Task<Results<Ok<Page<EventView>>, ProblemHttpResult>> List(
        HttpContext http, AppDbContext db, CancellationToken ct,
        string? limit = null, string? cursor = null, string? type = null, string? link_id = null, string? connection_id = null)
    {
        var errors = new Dictionary<string, string[]>();
        var (take, after) = Pagination.Read(limit, cursor, "evt", errors);
        if (type is not null && !EventTypes.All.Contains(type)) errors["type"] = ["is not an event type (see the docs for the list)."];
        if (link_id is not null && !Ids.IsValid(link_id, "lnk")) errors["link_id"] = ["is not a link id."];
        if (connection_id is not null && !Ids.IsValid(connection_id, "con")) errors["connection_id"] = ["is not a connection id."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var org = http.Caller().OrganizationId;
        var query = db.Events.AsNoTracking().Where(e => e.OrganizationId == org);
        if (after is not null) query = query.Where(e => string.Compare(e.Id, after) < 0);
        if (type is not null) query = query.Where(e => e.Type == type);
        if (link_id is not null) query = query.Where(e => e.LinkId == link_id);
        if (connection_id is not null) query = query.Where(e => e.ConnectionId == connection_id);
        var rows = await query.OrderByDescending(e => e.Id).Take(take + 1).ToListAsync(ct);
        return TypedResults.Ok(Pagination.Page(rows.ConvertAll(EventView.From), take, e => e.Id));
    }
}

using System.Text.Json;
using ConnectLinks.Api;
using ConnectLinks.Data;
using ConnectLinks.Links;

namespace ConnectLinks.Events;

/// <summary>
/// Builds event rows. Callers add them to the same DbContext (or write batch) as the state change they
/// describe, so the change and its event commit together or not at all.
/// </summary>
public static class EventLog
{
    /// <summary>Who caused an event, when known: the client IP and user agent.</summary>
    public sealed record Actor(string? Ip, string? UserAgent)
    {
        public static Actor From(HttpContext context) => new(
            context.Connection.RemoteIpAddress?.ToString(),
            context.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, 512)] : null);

        public static readonly Actor System = new(null, null);
    }

    /// <summary>An event about a link; its data holds the link's ids and state, never its token.</summary>
    public static Event ForLink(Link link, string type, DateTimeOffset now, Actor actor, string? status = null) => new()
    {
        Id = Ids.New("evt"),
        OrganizationId = link.OrganizationId,
        Type = type,
        LinkId = link.Id,
        ConnectionId = link.ConnectionId,
        Data = JsonSerializer.Serialize(new LinkEventData(link.Id, status ?? link.Status, link.Kind, link.OwnerId, link.ExpiresAt, link.ConnectionId, link.Metadata), JsonDefaults.Options),
        ActorIp = actor.Ip,
        ActorUserAgent = actor.UserAgent,
        CreatedAt = now,
    };

    /// <summary>An event about a connection: ids, connector, status and the test outcome; never a secret or config value.</summary>
    public static Event ForConnection(Connections.Connection c, string type, DateTimeOffset now, Actor actor) => new()
    {
        Id = Ids.New("evt"),
        OrganizationId = c.OrganizationId,
        Type = type,
        LinkId = c.LinkId,
        ConnectionId = c.Id,
        Data = JsonSerializer.Serialize(new ConnectionEventData(c.Id, c.Connector, c.Kind, c.Status, c.OwnerId, c.LinkId, c.LastTestOk, c.Metadata), JsonDefaults.Options),
        ActorIp = actor.Ip,
        ActorUserAgent = actor.UserAgent,
        CreatedAt = now,
    };

    /// <summary>A failed connection test during a link's flow: which checks failed, never what was typed.</summary>
    public static Event ForFailedTest(Link link, string connector, IEnumerable<Connectors.CheckResult> checks, DateTimeOffset now, Actor actor) => new()
    {
        Id = Ids.New("evt"),
        OrganizationId = link.OrganizationId,
        Type = EventTypes.ConnectionTestFailed,
        LinkId = link.Id,
        ConnectionId = link.ConnectionId,
        Data = JsonSerializer.Serialize(new FailedTestData(link.Id, connector, link.Attempts, link.MaxAttempts,
            checks.Where(c => c.Status == Connectors.CheckResult.Failed).Select(c => c.Id).ToArray()), JsonDefaults.Options),
        ActorIp = actor.Ip,
        ActorUserAgent = actor.UserAgent,
        CreatedAt = now,
    };

    private sealed record ConnectionEventData(string ConnectionId, string Connector, string Kind, string Status, string OwnerId, string? LinkId, bool? LastTestOk, Dictionary<string, string> Metadata);

    private sealed record FailedTestData(string LinkId, string Connector, int Attempts, int MaxAttempts, string[] FailedChecks);

    private sealed record LinkEventData(string LinkId, string Status, string Kind, string OwnerId, DateTimeOffset ExpiresAt, string? ConnectionId, Dictionary<string, string> Metadata);
}

using ConnectLinks.Connections;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Links;
using ConnectLinks.Security;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Hosted;

/// <summary>What became of a submission of credentials on a link page.</summary>
public abstract record SubmitOutcome
{
    /// <summary>The form values break the connector's schema; nothing was tested or counted.</summary>
    public sealed record Invalid(Dictionary<string, string[]> Errors) : SubmitOutcome;
    /// <summary>The checks ran and one failed; the attempt counted, and the link may now be locked.</summary>
    public sealed record TestFailed(ConnectionTestResult Result, bool Locked, int AttemptsLeft) : SubmitOutcome;
    /// <summary>The checks passed and this submission won the link.</summary>
    public sealed record Connected(Connection Connection, ConnectionTestResult Result, Link Link) : SubmitOutcome;
    /// <summary>The link stopped being usable while the checks ran (used by a concurrent submission, revoked, expired).</summary>
    public sealed record LinkGone : SubmitOutcome;
}

/// <summary>
/// The end customer's side of a link: finding it by token, marking it opened, and turning a submission into
/// either a counted failure or a stored connection. Every change is a conditional UPDATE on the link row, so
/// two submissions racing on one or several instances make exactly one connection.
/// </summary>
public sealed class ConnectFlow(
    IDbContextFactory<AppDbContext> contexts, ConnectorCatalog catalog, ConnectionTester tester, ConnectionSecrets secrets, TimeProvider clock)
{
    /// <summary>The link of a token, or null for anything that is not a live token of some link.</summary>
    public async Task<Link?> FindAsync(string? token, CancellationToken ct)
    {
        if (!OpaqueToken.HasShape(token, OpaqueToken.LinkPrefix)) return null;
        var hash = OpaqueToken.Hash(token!);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var link = await LinkByTokenHash(db, hash, ct);
        return link is not null && OpaqueToken.HashesEqual(link.TokenHash, hash) ? link : null;
    }

    // Compiled: every page view and submission starts here.
    private static readonly Func<AppDbContext, string, CancellationToken, Task<Link?>> LinkByTokenHash =
        EF.CompileAsyncQuery((AppDbContext db, string hash, CancellationToken ct) => db.Links.AsNoTracking().FirstOrDefault(l => l.TokenHash == hash));

    /// <summary>Why a link can no longer be used (expired, revoked, completed, locked), or null when it can.</summary>
    public string? WhyUnusable(Link link) => link.EffectiveStatus(clock.Now()) switch
    {
        LinkStatus.Waiting or LinkStatus.Opened or LinkStatus.OAuthPending => null,
        var status => status,
    };

    /// <summary>Connectors this link lets the customer pick, in catalog order.</summary>
    public async Task<IReadOnlyList<ConnectorDefinition>> AllowedConnectorsAsync(Link link, CancellationToken ct)
    {
        IEnumerable<ConnectorDefinition> allowed = link.Connectors.Length > 0
            ? catalog.All.Where(c => link.Connectors.Contains(c.Id, StringComparer.OrdinalIgnoreCase))
            : link.Categories.Length > 0 ? catalog.All.Where(c => link.Categories.Contains(c.Category)) : catalog.All;
        // An OAuth connector is offered only once the organization has registered its OAuth client for it; a link
        // without OAuth connectors needs no query.
        allowed = allowed.ToList();
        if (!allowed.Any(c => c.AuthMode != "credentials")) return [.. allowed];
        await using var db = await contexts.CreateDbContextAsync(ct);
        var configured = await db.OAuthClients.AsNoTracking().Where(c => c.OrganizationId == link.OrganizationId).Select(c => c.Connector).ToListAsync(ct);
        return [.. allowed.Where(c => c.AuthMode == "credentials" || configured.Contains(c.Id, StringComparer.OrdinalIgnoreCase))];
    }

    /// <summary>A GET of the page: waiting becomes opened (with its event). It never consumes the link.</summary>
    public async Task MarkOpenedAsync(Link link, EventLog.Actor actor, CancellationToken ct)
    {
        if (link.Status != LinkStatus.Waiting) return;
        var now = clock.Now();
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginWriteAsync(ct);
        var changed = await db.Links
            .Where(l => l.Id == link.Id && l.TokenHash == link.TokenHash && l.Status == LinkStatus.Waiting && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.Opened).SetProperty(l => l.OpenedAt, now), ct);
        if (changed == 0) return;
        link.Status = LinkStatus.Opened;
        link.OpenedAt = now;
        db.Events.Add(EventLog.ForLink(link, EventTypes.LinkOpened, now, actor));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Validates, tests against the real system, then records the failure or stores the connection.</summary>
    public async Task<SubmitOutcome> SubmitAsync(Link link, ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, EventLog.Actor actor, CancellationToken ct)
    {
        var errors = connector.Validate(values);
        if (errors.Count > 0) return new SubmitOutcome.Invalid(errors);
        var result = await tester.TestAsync(connector, values, ct);
        return result.Ok
            ? await CompleteAsync(link, connector, values, result, actor, ct)
            : await RecordFailureAsync(link, connector, result, actor, ct);
    }

    /// <summary>Counts a failed test against the link (and locks it at max_attempts); also used by the OAuth callback.</summary>
    internal async Task<SubmitOutcome> RecordFailureAsync(Link link, ConnectorDefinition connector, ConnectionTestResult result, EventLog.Actor actor, CancellationToken ct)
    {
        var now = clock.Now();
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginWriteAsync(ct);
        var counted = await db.Links
            .Where(l => l.Id == link.Id && l.TokenHash == link.TokenHash && LinkStatus.Live.Contains(l.Status) && l.Status != LinkStatus.Locked
                        && l.ExpiresAt > now && l.Attempts < l.MaxAttempts)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Attempts, l => l.Attempts + 1), ct);
        if (counted == 0) return new SubmitOutcome.LinkGone();
        var current = await db.Links.AsNoTracking().SingleAsync(l => l.Id == link.Id, ct);
        db.Events.Add(EventLog.ForFailedTest(current, connector.Id, result.Checks, now, actor));
        var locked = false;
        if (current.Attempts >= current.MaxAttempts)
        {
            locked = await db.Links.Where(l => l.Id == link.Id && l.Status != LinkStatus.Locked && LinkStatus.Live.Contains(l.Status))
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.Locked), ct) == 1;
            if (locked)
            {
                current.Status = LinkStatus.Locked;
                db.Events.Add(EventLog.ForLink(current, EventTypes.LinkLocked, now, actor));
            }
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new SubmitOutcome.TestFailed(result, locked, Math.Max(0, current.MaxAttempts - current.Attempts));
    }

    /// <summary>
    /// Spends one use of the link and stores (or, for a reconnect, updates) the connection; also used by the OAuth
    /// callback, which passes when the access token expires so the refresh job can find it.
    /// </summary>
    internal async Task<SubmitOutcome> CompleteAsync(Link link, ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, ConnectionTestResult result, EventLog.Actor actor, CancellationToken ct,
        DateTimeOffset? tokenExpiresAt = null)
    {
        var now = clock.Now();
        var split = connector.Split(values);
        await using var db = await contexts.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginWriteAsync(ct);

        Connection? connection = null;
        if (link.IsReconnect && link.ConnectionId is not null)
            connection = await db.Connections.FirstOrDefaultAsync(c => c.Id == link.ConnectionId && c.OrganizationId == link.OrganizationId, ct);
        var connectionId = connection?.Id ?? Ids.New("con", clock);

        // The single-use guard: only the submission whose UPDATE changes the row goes on.
        var won = await db.Links
            .Where(l => l.Id == link.Id && l.TokenHash == link.TokenHash
                        && (l.Status == LinkStatus.Waiting || l.Status == LinkStatus.Opened || l.Status == LinkStatus.OAuthPending)
                        && l.ExpiresAt > now && l.Uses < l.MaxUses)
            .ExecuteUpdateAsync(s => s
                .SetProperty(l => l.Uses, l => l.Uses + 1)
                .SetProperty(l => l.Status, l => l.Uses + 1 >= l.MaxUses ? LinkStatus.Completed : LinkStatus.Opened)
                .SetProperty(l => l.CompletedAt, l => l.Uses + 1 >= l.MaxUses ? now : l.CompletedAt)
                .SetProperty(l => l.ConnectionId, connectionId), ct);
        if (won == 0) return new SubmitOutcome.LinkGone();
        var updated = await db.Links.AsNoTracking().SingleAsync(l => l.Id == link.Id, ct);

        var isNew = connection is null;
        connection ??= new Connection
        {
            Id = connectionId, OrganizationId = link.OrganizationId, Connector = connector.Id, OwnerId = link.OwnerId,
            SecretKeyId = "", SecretWrappedKey = [], SecretCiphertext = [], CreatedAt = now,
        };
        connection.Connector = connector.Id;
        connection.Kind = link.Kind;
        connection.Status = ConnectionStatus.Active;
        connection.OwnerId = link.OwnerId;
        connection.OwnerName = link.OwnerName;
        connection.OwnerUsername = link.OwnerUsername;
        connection.LinkId = link.Id;
        connection.Config = split.Config.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!);
        connection.Metadata = link.Metadata;
        connection.LastTestAt = now;
        connection.LastTestOk = true;
        connection.LastTestChecks = [.. result.Checks];
        connection.UpdatedAt = now;
        secrets.Seal(connection, split.Secrets);
        // New tokens: a refresh still running on the old ones loses its lease and cannot overwrite them.
        connection.TokenExpiresAt = tokenExpiresAt;
        connection.RefreshLeaseId = null;
        connection.RefreshLeaseUntil = null;
        if (isNew) db.Connections.Add(connection);

        db.Events.Add(EventLog.ForConnection(connection, isNew ? EventTypes.ConnectionCreated : EventTypes.ConnectionUpdated, now, actor));
        if (updated.Status == LinkStatus.Completed) db.Events.Add(EventLog.ForLink(updated, EventTypes.LinkCompleted, now, actor));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new SubmitOutcome.Connected(connection, result, updated);
    }
}

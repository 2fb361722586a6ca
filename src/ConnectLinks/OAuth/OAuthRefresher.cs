using ConnectLinks.Connections;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Security.Secrets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConnectLinks.OAuth;

/// <summary>What one refresh attempt did.</summary>
public enum RefreshOutcome
{
    /// <summary>New tokens are stored (a rotated refresh token replaced the old one).</summary>
    Refreshed,
    /// <summary>Another refresh holds the connection's lease (on this or another instance): nothing was done.</summary>
    Busy,
    /// <summary>The provider refused (revoked grant, wrong client…): the connection needs reauthorization.</summary>
    Failed,
    /// <summary>The provider could not be reached; the lease lapses and the next pass tries again.</summary>
    RetryLater,
    /// <summary>No such active OAuth connection.</summary>
    NotFound,
}

/// <summary>
/// Refreshes OAuth access tokens before they expire (<see cref="OAuthOptions.RefreshLeadTime"/>). Each connection is
/// claimed with a lease (a conditional UPDATE), so two instances never refresh it at once: with rotating refresh
/// tokens a second refresh would spend an already-rotated token, and many providers then revoke the whole grant.
/// A refusal sets the connection to <c>needs_reauth</c> and records <c>connection.refresh_failed</c>; a reconnect
/// link brings it back.
/// </summary>
public sealed class OAuthRefresher(
    IDbContextFactory<AppDbContext> contexts, ConnectorCatalog catalog, TokenEndpoint tokens, ConnectionSecrets connectionSecrets, SecretBox box,
    IOptions<OAuthOptions> options, TimeProvider clock, ILogger<OAuthRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RefreshDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Only the exception type: messages from drivers could quote SQL parameters.
                logger.LogWarning("The OAuth refresh pass failed ({Error}); the next pass retries.", e.GetType().Name);
            }
        }
    }

    /// <summary>One pass: refreshes every active connection whose token expires within the lead time. Returns how many were refreshed.</summary>
    public async Task<int> RefreshDueAsync(CancellationToken ct)
    {
        var now = clock.Now();
        var horizon = now + options.Value.RefreshLeadTime;
        List<string> due;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            due = await db.Connections.AsNoTracking()
                .Where(c => c.Status == ConnectionStatus.Active && c.TokenExpiresAt != null && c.TokenExpiresAt <= horizon
                            && (c.RefreshLeaseUntil == null || c.RefreshLeaseUntil <= now))
                .OrderBy(c => c.TokenExpiresAt).Select(c => c.Id).Take(100).ToListAsync(ct);
            // Finished round trips are kept a day (a replay still gets its clear page), then swept.
            var cutoff = now - TimeSpan.FromDays(1);
            await db.OAuthStates.Where(s => s.ExpiresAt < cutoff).ExecuteDeleteAsync(ct);
        }
        var refreshed = 0;
        foreach (var id in due)
            if (await RefreshAsync(id, ct) == RefreshOutcome.Refreshed) refreshed++;
        return refreshed;
    }

    /// <summary>Refreshes one connection now, unless another refresh holds it.</summary>
    public async Task<RefreshOutcome> RefreshAsync(string connectionId, CancellationToken ct)
    {
        var now = clock.Now();
        var lease = Ids.New("lea", clock);
        var until = now + options.Value.RefreshLease;
        await using var db = await contexts.CreateDbContextAsync(ct);
        var claimed = await db.Connections
            .Where(c => c.Id == connectionId && c.Status == ConnectionStatus.Active && (c.RefreshLeaseUntil == null || c.RefreshLeaseUntil <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RefreshLeaseId, lease).SetProperty(c => c.RefreshLeaseUntil, until), ct);
        if (claimed == 0)
            return await db.Connections.AnyAsync(c => c.Id == connectionId && c.Status == ConnectionStatus.Active, ct) ? RefreshOutcome.Busy : RefreshOutcome.NotFound;

        var connection = await db.Connections.AsNoTracking().SingleAsync(c => c.Id == connectionId, ct);
        var connector = catalog.Find(connection.Connector);
        if (connector?.OAuth2 is null) return await FailAsync(db, connection, lease, "not_an_oauth_connector", ct);
        var client = await db.OAuthClients.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationId == connection.OrganizationId && c.Connector == connector.Id, ct);
        if (client is null) return await FailAsync(db, connection, lease, "client_not_configured", ct);
        var current = connectionSecrets.Open(connection);
        if (!current.TryGetValue("refresh_token", out var refreshToken) || string.IsNullOrEmpty(refreshToken))
            return await FailAsync(db, connection, lease, "no_refresh_token", ct);

        var credentials = new ClientCredentials(client.ClientId, box.Unprotect(new(client.SecretKeyId, client.SecretWrappedKey, client.SecretCiphertext), client.SecretOwner));
        var response = await tokens.RefreshAsync(connector, credentials, refreshToken, ct);
        if (response.Tokens is not { } set)
        {
            if (!response.Transient) return await FailAsync(db, connection, lease, response.Error ?? "unknown_error", ct);
            // Note: the lease is left to lapse, which spaces the retries by RefreshLease without another column.
            logger.LogWarning("Refreshing connection {ConnectionId} failed ({Error}); retrying after the lease lapses.", connection.Id, response.Error);
            return RefreshOutcome.RetryLater;
        }

        var refreshedAt = clock.Now();
        var expiresAt = set.ExpiresIn is { } seconds ? refreshedAt.AddSeconds(seconds) : (DateTimeOffset?)null;
        var values = OAuthFlow.TokenValues(set, expiresAt, refreshToken, current.GetValueOrDefault("scope"));
        connectionSecrets.Seal(connection, connector.Split(values).Secrets);
        // Only the lease holder writes: a reconnect that replaced the tokens meanwhile cleared the lease and wins.
        var stored = await db.Connections.Where(c => c.Id == connection.Id && c.RefreshLeaseId == lease)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.SecretKeyId, connection.SecretKeyId)
                .SetProperty(c => c.SecretWrappedKey, connection.SecretWrappedKey)
                .SetProperty(c => c.SecretCiphertext, connection.SecretCiphertext)
                .SetProperty(c => c.TokenExpiresAt, expiresAt)
                .SetProperty(c => c.UpdatedAt, refreshedAt)
                .SetProperty(c => c.RefreshLeaseId, (string?)null)
                .SetProperty(c => c.RefreshLeaseUntil, (DateTimeOffset?)null), ct);
        return stored == 1 ? RefreshOutcome.Refreshed : RefreshOutcome.Busy;
    }

    private async Task<RefreshOutcome> FailAsync(AppDbContext db, Connection connection, string lease, string error, CancellationToken ct)
    {
        var now = clock.Now();
        await using var tx = await db.Database.BeginWriteAsync(ct);
        var changed = await db.Connections.Where(c => c.Id == connection.Id && c.RefreshLeaseId == lease)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, ConnectionStatus.NeedsReauth)
                .SetProperty(c => c.UpdatedAt, now)
                .SetProperty(c => c.RefreshLeaseId, (string?)null)
                .SetProperty(c => c.RefreshLeaseUntil, (DateTimeOffset?)null), ct);
        if (changed == 0) return RefreshOutcome.Busy;
        connection.Status = ConnectionStatus.NeedsReauth;
        db.Events.Add(EventLog.ForConnection(connection, EventTypes.ConnectionRefreshFailed, now, EventLog.Actor.System));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        logger.LogWarning("Connection {ConnectionId} needs reauthorization: the provider refused the refresh ({Error}).", connection.Id, error);
        return RefreshOutcome.Failed;
    }
}

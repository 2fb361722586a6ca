using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Hosted;
using ConnectLinks.Links;
using ConnectLinks.Security;
using ConnectLinks.Security.Secrets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ConnectLinks.OAuth;

/// <summary>What starting an OAuth round trip led to.</summary>
public abstract record OAuthStartOutcome
{
    /// <summary>Send the browser here (the provider's authorization URL with state and the PKCE challenge).</summary>
    public sealed record Redirect(string Url) : OAuthStartOutcome;
    /// <summary>The organization has not registered its OAuth client for this connector.</summary>
    public sealed record NotConfigured : OAuthStartOutcome;
    /// <summary>The link stopped being usable (used, revoked, expired, regenerated).</summary>
    public sealed record LinkGone : OAuthStartOutcome;
}

/// <summary>The link, connector and link token a callback belongs to (the token only to offer "try again").</summary>
public sealed record OAuthReturn(Link Link, ConnectorDefinition Connector, string LinkToken);

/// <summary>What the provider's return to <c>/connect/oauth/callback</c> led to.</summary>
public abstract record OAuthCallbackOutcome
{
    /// <summary>No such state (tampered, unknown, or swept): nothing is known about the link.</summary>
    public sealed record Invalid : OAuthCallbackOutcome;
    /// <summary>The state is real but this browser did not start the round trip (no or another cookie). Not consumed.</summary>
    public sealed record WrongBrowser : OAuthCallbackOutcome;
    /// <summary>The state was already consumed by an earlier return.</summary>
    public sealed record Replayed(OAuthReturn Return) : OAuthCallbackOutcome;
    /// <summary>The customer took longer than the state's lifetime.</summary>
    public sealed record Expired(OAuthReturn Return) : OAuthCallbackOutcome;
    /// <summary>The link died during the round trip; <paramref name="Why"/> is its status, or <c>replaced</c> after a regenerate.</summary>
    public sealed record LinkUnusable(OAuthReturn Return, string Why) : OAuthCallbackOutcome;
    /// <summary>The provider returned an error (e.g. <c>access_denied</c>) instead of a code.</summary>
    public sealed record ProviderError(OAuthReturn Return, string Error) : OAuthCallbackOutcome;
    /// <summary>The code exchange failed (e.g. <c>invalid_grant</c> for a reused code or a PKCE mismatch).</summary>
    public sealed record ExchangeFailed(OAuthReturn Return, string Error) : OAuthCallbackOutcome;
    /// <summary>Tokens were issued and tested: the usual submission outcome (test failed, connected, link gone).</summary>
    public sealed record Finished(OAuthReturn Return, SubmitOutcome Outcome) : OAuthCallbackOutcome;
}

/// <summary>
/// The OAuth side of a link (SPEC §5, §6): the redirect to the provider with a single-use <c>state</c> bound to the
/// link and the browser, and PKCE; then the return: state checks, code exchange, the connector's test request with the
/// access token, and the same completion as a credentials submission (<see cref="ConnectFlow"/>).
/// </summary>
public sealed class OAuthFlow(
    IDbContextFactory<AppDbContext> contexts, ConnectFlow connectFlow, ConnectorCatalog catalog, ConnectionTester tester, TokenEndpoint tokens,
    SecretBox box, IOptions<OAuthOptions> options, TimeProvider clock)
{
    /// <summary>The callback path registered at every provider (behind the service's public URL).</summary>
    public const string CallbackPath = "/connect/oauth/callback";

    private sealed record StateSecrets(string Verifier, string LinkToken);

    /// <summary>
    /// Begins a round trip: stores the state (hashed) and the PKCE verifier (encrypted), moves the link to
    /// <c>oauth_pending</c>, and returns the provider's authorization URL.
    /// </summary>
    public async Task<OAuthStartOutcome> StartAsync(Link link, string linkToken, ConnectorDefinition connector, string browserKey, string callbackUrl, EventLog.Actor actor, CancellationToken ct)
    {
        var spec = connector.OAuth2 ?? throw new InvalidOperationException($"Connector '{connector.Id}' is not an OAuth connector.");
        var now = clock.Now();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var client = await db.OAuthClients.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationId == link.OrganizationId && c.Connector == connector.Id, ct);
        if (client is null) return new OAuthStartOutcome.NotConfigured();

        var state = RandomToken();
        var verifier = RandomToken();
        var row = new OAuthState
        {
            Id = Ids.New("oas", clock), OrganizationId = link.OrganizationId, LinkId = link.Id, LinkTokenHash = link.TokenHash,
            Connector = connector.Id, StateHash = OpaqueToken.Hash(state), BrowserHash = OpaqueToken.Hash(browserKey), CallbackUrl = callbackUrl,
            SecretKeyId = "", SecretWrappedKey = [], SecretCiphertext = [], CreatedAt = now, ExpiresAt = now + options.Value.StateLifetime,
        };
        var sealedSecrets = box.Protect(JsonSerializer.Serialize(new StateSecrets(verifier, linkToken)), row.SecretOwner);
        row.SecretKeyId = sealedSecrets.KeyId;
        row.SecretWrappedKey = sealedSecrets.WrappedKey;
        row.SecretCiphertext = sealedSecrets.Ciphertext;

        await using var tx = await db.Database.BeginWriteAsync(ct);
        var pending = await db.Links
            .Where(l => l.Id == link.Id && l.TokenHash == link.TokenHash
                        && (l.Status == LinkStatus.Waiting || l.Status == LinkStatus.Opened || l.Status == LinkStatus.OAuthPending)
                        && l.ExpiresAt > now && l.Uses < l.MaxUses)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.OAuthPending).SetProperty(l => l.OpenedAt, l => l.OpenedAt ?? now), ct);
        if (pending == 0) return new OAuthStartOutcome.LinkGone();
        db.OAuthStates.Add(row);
        // Recorded with the state change, as every link transition is; the data says which connector, never the state.
        var pendingLink = await db.Links.AsNoTracking().SingleAsync(l => l.Id == link.Id, ct);
        db.Events.Add(EventLog.ForLink(pendingLink, EventTypes.LinkOAuthPending, now, actor));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        var query = new List<(string, string)>
        {
            ("response_type", "code"), ("client_id", client.ClientId), ("redirect_uri", callbackUrl),
            ("scope", string.Join(spec.ScopeSeparator, spec.Scopes)), ("state", state),
        };
        if (spec.Pkce) query.AddRange([("code_challenge", Challenge(verifier)), ("code_challenge_method", "S256")]);
        foreach (var (name, value) in spec.AuthorizeParams) query.Add((name, value));
        return new OAuthStartOutcome.Redirect(HostedPages.WithQuery(tokens.AuthorizationUrl(connector), [.. query]));
    }

    /// <summary>Handles the provider's return. Every failure leaves the link usable (unless it died on its own).</summary>
    public async Task<OAuthCallbackOutcome> CallbackAsync(string? state, string? code, string? error, string? browserKey, EventLog.Actor actor, CancellationToken ct)
    {
        if (!HasTokenShape(state)) return new OAuthCallbackOutcome.Invalid();
        var stateHash = OpaqueToken.Hash(state!);
        var now = clock.Now();
        await using var db = await contexts.CreateDbContextAsync(ct);
        var row = await db.OAuthStates.AsNoTracking().FirstOrDefaultAsync(s => s.StateHash == stateHash, ct);
        if (row is null || !OpaqueToken.HashesEqual(row.StateHash, stateHash)) return new OAuthCallbackOutcome.Invalid();
        // The browser check comes before consuming: a callback URL planted in another browser must not burn the real one.
        if (browserKey is null || !OpaqueToken.HashesEqual(row.BrowserHash, OpaqueToken.Hash(browserKey))) return new OAuthCallbackOutcome.WrongBrowser();

        var link = await db.Links.AsNoTracking().FirstOrDefaultAsync(l => l.Id == row.LinkId && l.OrganizationId == row.OrganizationId, ct);
        var connector = catalog.Find(row.Connector);
        if (link is null || connector?.OAuth2 is null) return new OAuthCallbackOutcome.Invalid();
        var secrets = JsonSerializer.Deserialize<StateSecrets>(box.Unprotect(new(row.SecretKeyId, row.SecretWrappedKey, row.SecretCiphertext), row.SecretOwner))!;
        var context = new OAuthReturn(link, connector, secrets.LinkToken);

        // Single use: the one request whose UPDATE changes the row goes on.
        var consumed = await db.OAuthStates.Where(s => s.Id == row.Id && s.UsedAt == null && s.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.UsedAt, now), ct);
        if (consumed == 0)
        {
            var used = await db.OAuthStates.AsNoTracking().Where(s => s.Id == row.Id).Select(s => s.UsedAt).FirstAsync(ct);
            if (used is not null) return new OAuthCallbackOutcome.Replayed(context);
            await ReturnToOpenedAsync(db, link, ct);
            return new OAuthCallbackOutcome.Expired(context);
        }

        if (!OpaqueToken.HashesEqual(link.TokenHash, row.LinkTokenHash)) return new OAuthCallbackOutcome.LinkUnusable(context, "replaced");
        if (connectFlow.WhyUnusable(link) is { } why) return new OAuthCallbackOutcome.LinkUnusable(context, why);

        if (error is not null || string.IsNullOrEmpty(code))
        {
            await ReturnToOpenedAsync(db, link, ct);
            return new OAuthCallbackOutcome.ProviderError(context, TokenEndpoint.ErrorCode(error ?? "invalid_request"));
        }

        var client = await db.OAuthClients.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationId == link.OrganizationId && c.Connector == connector.Id, ct);
        if (client is null)
        {
            await ReturnToOpenedAsync(db, link, ct);
            return new OAuthCallbackOutcome.ExchangeFailed(context, "client_not_configured");
        }
        var credentials = new ClientCredentials(client.ClientId, box.Unprotect(new(client.SecretKeyId, client.SecretWrappedKey, client.SecretCiphertext), client.SecretOwner));
        var issued = await tokens.ExchangeCodeAsync(connector, credentials, code, row.CallbackUrl, connector.OAuth2!.Pkce ? secrets.Verifier : null, ct);
        if (issued.Tokens is not { } set)
        {
            await ReturnToOpenedAsync(db, link, ct);
            return new OAuthCallbackOutcome.ExchangeFailed(context, issued.Error ?? "unknown_error");
        }

        var expiresAt = set.ExpiresIn is { } seconds ? now.AddSeconds(seconds) : (DateTimeOffset?)null;
        var values = TokenValues(set, expiresAt, previousRefreshToken: null, previousScope: null);
        var result = await tester.TestAsync(connector, values, ct);
        if (!result.Ok)
        {
            var failed = await connectFlow.RecordFailureAsync(link, connector, result, actor, ct);
            await ReturnToOpenedAsync(db, link, ct);
            return new OAuthCallbackOutcome.Finished(context, failed);
        }
        return new OAuthCallbackOutcome.Finished(context, await connectFlow.CompleteAsync(link, connector, values, result, actor, ct, expiresAt));
    }

    /// <summary>The secret fields of an OAuth connection (see <see cref="OAuth2Spec.TokenFields"/>).</summary>
    internal static Dictionary<string, string?> TokenValues(TokenSet set, DateTimeOffset? expiresAt, string? previousRefreshToken, string? previousScope)
    {
        var values = new Dictionary<string, string?> { ["access_token"] = set.AccessToken };
        // A provider that does not rotate sends no new refresh token: the old one stays valid and is kept.
        if ((set.RefreshToken ?? previousRefreshToken) is { Length: > 0 } refresh) values["refresh_token"] = refresh;
        if (expiresAt is { } at) values["expires_at"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        values["token_type"] = set.TokenType ?? "Bearer";
        if ((set.Scope ?? previousScope) is { Length: > 0 } scope) values["scope"] = scope;
        return values;
    }

    // A round trip that ended without a connection: the link is no longer waiting on the provider.
    private async Task ReturnToOpenedAsync(AppDbContext db, Link link, CancellationToken ct) =>
        await db.Links.Where(l => l.Id == link.Id && l.TokenHash == link.TokenHash && l.Status == LinkStatus.OAuthPending)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Status, LinkStatus.Opened), ct);

    /// <summary>32 random bytes, base64url (43 characters): state values, PKCE verifiers, browser keys.</summary>
    public static string RandomToken()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>Shape check before any lookup: 43 base64url characters.</summary>
    public static bool HasTokenShape(string? value) =>
        value is { Length: 43 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The RFC 7636 S256 challenge of a verifier.</summary>
    public static string Challenge(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}

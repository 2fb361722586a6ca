using ConnectLinks.Api;
using ConnectLinks.Data;
using ConnectLinks.Events;
using ConnectLinks.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Webhooks;

/// <summary>POST body of a new endpoint.</summary>
public sealed record CreateWebhookEndpointRequest(string? Url = null, string[]? Events = null, string? Description = null);

/// <summary>PATCH body: a field left out stays as it is.</summary>
public sealed record UpdateWebhookEndpointRequest(string? Url = null, string[]? Events = null, string? Description = null, bool? Enabled = null);

/// <summary>An endpoint as the API shows it; the secret only on create and rotate.</summary>
public record WebhookEndpointView(
    string Id, string Url, string[] Events, string? Description, bool Enabled, string? DisabledReason,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? PreviousSecretExpiresAt)
{
    public static WebhookEndpointView From(WebhookEndpoint w, DateTimeOffset now) => new(w.Id, w.Url, w.Events, w.Description, w.Enabled,
        w.DisabledReason, w.CreatedAt, w.UpdatedAt, w.PreviousSecretExpiresAt > now ? w.PreviousSecretExpiresAt : null);
}

/// <summary>The endpoint plus its new secret: returned once, by create and rotate-secret.</summary>
public sealed record WebhookEndpointWithSecretView(
    string Id, string Url, string[] Events, string? Description, bool Enabled, string? DisabledReason,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? PreviousSecretExpiresAt, string Secret)
    : WebhookEndpointView(Id, Url, Events, Description, Enabled, DisabledReason, CreatedAt, UpdatedAt, PreviousSecretExpiresAt)
{
    public static WebhookEndpointWithSecretView WithSecret(WebhookEndpoint w, DateTimeOffset now) => new(w.Id, w.Url, w.Events, w.Description, w.Enabled,
        w.DisabledReason, w.CreatedAt, w.UpdatedAt, w.PreviousSecretExpiresAt > now ? w.PreviousSecretExpiresAt : null, w.Secret);
}

/// <summary>One delivery with its full attempt log.</summary>
public sealed record WebhookDeliveryView(
    string Id, string EventId, string EventType, string? EndpointId, string? LinkId, string Status, int AttemptCount,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? LastAttemptAt, int? LastStatusCode, string? LastError, int? LastLatencyMs,
    DateTimeOffset CreatedAt, IReadOnlyList<WebhookAttemptView> Attempts)
{
    public static WebhookDeliveryView From(WebhookDelivery d, IEnumerable<WebhookAttempt> attempts) => new(d.Id, d.EventId, d.EventType,
        d.EndpointId, d.LinkId, d.Status, d.Attempts, d.NextAttemptAt, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.LastLatencyMs,
        d.CreatedAt, attempts.OrderBy(a => a.AttemptedAt).Select(a => new WebhookAttemptView(a.AttemptedAt, a.StatusCode, a.LatencyMs, a.Error, a.NextAttemptAt)).ToList());
}

/// <summary>One attempt: when, the answer (or the error), how long it took, and when the next one was planned.</summary>
public sealed record WebhookAttemptView(DateTimeOffset At, int? StatusCode, int LatencyMs, string? Error, DateTimeOffset? NextAttemptAt);

/// <summary>The organization's secret for deliveries to a link's own <c>webhook_url</c>.</summary>
public sealed record WebhookSecretView(string Secret);

/// <summary>Webhook endpoints, their delivery log and manual retry (SPEC §7). Every route needs <c>webhooks:write</c>.</summary>
public static class WebhooksApi
{
    public const int MaxEndpointsPerOrganization = 20;
    public const int MaxDescriptionLength = 500;

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/webhook-endpoints").WithTags("Webhooks").RequireApiKey().RequireAuthorization(Scopes.WebhooksWrite);
        group.MapPost("/", Create).WithName("CreateWebhookEndpoint")
            .WithSummary("Add an endpoint").WithDescription("Returns the signing secret whsec_…, shown only here and on rotate-secret.");
        group.MapGet("/", List).WithName("ListWebhookEndpoints").WithSummary("List endpoints, newest first");
        group.MapGet("/{id}", Get).WithName("GetWebhookEndpoint").WithSummary("Get one endpoint");
        group.MapPatch("/{id}", Update).WithName("UpdateWebhookEndpoint").WithSummary("Change url, events, description or enabled");
        group.MapDelete("/{id}", Delete).WithName("DeleteWebhookEndpoint").WithSummary("Delete an endpoint; its pending deliveries are dropped");
        group.MapPost("/{id}/rotate-secret", RotateSecret).WithName("RotateWebhookSecret")
            .WithSummary("New signing secret; the old one keeps signing alongside for 24 h");
        group.MapGet("/{id}/deliveries", Deliveries).WithName("ListWebhookDeliveries")
            .WithSummary("Deliveries to this endpoint, newest first, each with every attempt");

        var deliveries = routes.MapGroup("/v1/deliveries").WithTags("Webhooks").RequireApiKey().RequireAuthorization(Scopes.WebhooksWrite);
        deliveries.MapPost("/{id}/retry", Retry).WithName("RetryWebhookDelivery").WithSummary("Send a delivery again now");

        routes.MapGroup("/v1/settings").WithTags("Settings").RequireApiKey().RequireAuthorization(Scopes.WebhooksWrite)
            .MapGet("/webhook-secret", OrganizationSecret).WithName("GetWebhookSecret")
            .WithSummary("The secret that signs deliveries to a link's own webhook_url");
        return routes;
    }

    private static async Task<Results<Created<WebhookEndpointWithSecretView>, ProblemHttpResult>> Create(
        CreateWebhookEndpointRequest request, HttpContext http, AppDbContext db, WebhookOptions options, IConfiguration configuration,
        TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Url is null) errors["url"] = ["is required."];
        else if (WebhookUrls.Check(request.Url, options, WebhookUrls.AllowPrivateTargets(configuration)) is { } urlError) errors["url"] = [urlError];
        var events = ReadEvents(request.Events, errors);
        if (request.Description is { Length: > MaxDescriptionLength }) errors["description"] = [$"must be at most {MaxDescriptionLength} characters."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var org = http.Caller().OrganizationId;
        if (await db.WebhookEndpoints.CountAsync(w => w.OrganizationId == org, ct) >= MaxEndpointsPerOrganization)
            return Problems.Error("conflict", $"An organization can have at most {MaxEndpointsPerOrganization} endpoints; delete one first.");
        var now = clock.Now();
        var endpoint = new WebhookEndpoint
        {
            Id = Ids.New("whe", clock), OrganizationId = org, Url = request.Url!, Events = events ?? [WebhookEvents.All],
            Description = request.Description, Secret = WebhookSignature.NewSecret(), CreatedAt = now, UpdatedAt = now,
        };
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/webhook-endpoints/{endpoint.Id}", WebhookEndpointWithSecretView.WithSecret(endpoint, now));
    }

    private static async Task<Results<Ok<Page<WebhookEndpointView>>, ProblemHttpResult>> List(
        HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct, string? limit = null, string? cursor = null)
    {
        var errors = new Dictionary<string, string[]>();
        var (take, after) = Pagination.Read(limit, cursor, "whe", errors);
        if (errors.Count > 0) return Problems.Validation(errors);
        var org = http.Caller().OrganizationId;
        var query = db.WebhookEndpoints.AsNoTracking().Where(w => w.OrganizationId == org);
        if (after is not null) query = query.Where(w => string.Compare(w.Id, after) < 0);
        var rows = await query.OrderByDescending(w => w.Id).Take(take + 1).ToListAsync(ct);
        var now = clock.Now();
        return TypedResults.Ok(Pagination.Page(rows.ConvertAll(w => WebhookEndpointView.From(w, now)), take, w => w.Id));
    }

    private static async Task<Results<Ok<WebhookEndpointView>, ProblemHttpResult>> Get(string id, HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var endpoint = await FindAsync(db, id, http, ct);
        return endpoint is null ? Problems.NotFound("webhook endpoint") : TypedResults.Ok(WebhookEndpointView.From(endpoint, clock.Now()));
    }

    private static async Task<Results<Ok<WebhookEndpointView>, ProblemHttpResult>> Update(
        string id, UpdateWebhookEndpointRequest request, HttpContext http, AppDbContext db, WebhookOptions options, IConfiguration configuration,
        TimeProvider clock, CancellationToken ct)
    {
        var endpoint = await FindAsync(db, id, http, ct, tracking: true);
        if (endpoint is null) return Problems.NotFound("webhook endpoint");
        var errors = new Dictionary<string, string[]>();
        if (request.Url is not null)
        {
            if (WebhookUrls.Check(request.Url, options, WebhookUrls.AllowPrivateTargets(configuration)) is { } urlError) errors["url"] = [urlError];
            else endpoint.Url = request.Url;
        }
        if (ReadEvents(request.Events, errors) is { } events) endpoint.Events = events;
        if (request.Description is not null)
        {
            if (request.Description.Length > MaxDescriptionLength) errors["description"] = [$"must be at most {MaxDescriptionLength} characters."];
            else endpoint.Description = request.Description == "" ? null : request.Description;
        }
        if (request.Enabled is { } enabled)
        {
            endpoint.Enabled = enabled;
            if (enabled) endpoint.DisabledReason = null;
        }
        if (errors.Count > 0) return Problems.Validation(errors);
        var now = clock.Now();
        endpoint.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(WebhookEndpointView.From(endpoint, now));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, AppDbContext db, CancellationToken ct)
    {
        if (!Ids.IsValid(id, "whe")) return Problems.NotFound("webhook endpoint");
        var org = http.Caller().OrganizationId;
        await using var tx = await db.Database.BeginWriteAsync(ct);
        var deleted = await db.WebhookEndpoints.Where(w => w.Id == id && w.OrganizationId == org).ExecuteDeleteAsync(ct);
        if (deleted == 0) return Problems.NotFound("webhook endpoint");
        // Nothing can read these any more (the endpoint is a 404 now), and nothing should send them.
        var deliveries = db.WebhookDeliveries.Where(d => d.EndpointId == id && d.OrganizationId == org);
        await db.WebhookAttempts.Where(a => deliveries.Any(d => d.Id == a.DeliveryId)).ExecuteDeleteAsync(ct);
        await deliveries.ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<WebhookEndpointWithSecretView>, ProblemHttpResult>> RotateSecret(
        string id, HttpContext http, AppDbContext db, WebhookOptions options, TimeProvider clock, CancellationToken ct)
    {
        var endpoint = await FindAsync(db, id, http, ct, tracking: true);
        if (endpoint is null) return Problems.NotFound("webhook endpoint");
        var now = clock.Now();
        // Receivers that still hold the old secret keep verifying during the grace period: both signatures are sent.
        endpoint.PreviousSecret = endpoint.Secret;
        endpoint.PreviousSecretExpiresAt = now + options.RotationGracePeriod;
        endpoint.Secret = WebhookSignature.NewSecret();
        endpoint.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(WebhookEndpointWithSecretView.WithSecret(endpoint, now));
    }

    private static async Task<Results<Ok<Page<WebhookDeliveryView>>, ProblemHttpResult>> Deliveries(
        string id, HttpContext http, AppDbContext db, CancellationToken ct, string? limit = null, string? cursor = null, string? status = null)
    {
        var endpoint = await FindAsync(db, id, http, ct);
        if (endpoint is null) return Problems.NotFound("webhook endpoint");
        var errors = new Dictionary<string, string[]>();
        var (take, after) = Pagination.Read(limit, cursor, "whd", errors);
        string[] statuses = [WebhookDeliveryStatus.Pending, WebhookDeliveryStatus.Delivered, WebhookDeliveryStatus.Failed, WebhookDeliveryStatus.Disabled];
        if (status is not null && !statuses.Contains(status)) errors["status"] = [$"must be one of {string.Join(", ", statuses)}."];
        if (errors.Count > 0) return Problems.Validation(errors);

        var query = db.WebhookDeliveries.AsNoTracking().Where(d => d.EndpointId == endpoint.Id && d.OrganizationId == endpoint.OrganizationId);
        if (after is not null) query = query.Where(d => string.Compare(d.Id, after) < 0);
        if (status is not null) query = query.Where(d => d.Status == status);
        var rows = await query.OrderByDescending(d => d.Id).Take(take + 1).ToListAsync(ct);
        var ids = rows.ConvertAll(d => d.Id);
        var attempts = (await db.WebhookAttempts.AsNoTracking().Where(a => ids.Contains(a.DeliveryId)).ToListAsync(ct)).ToLookup(a => a.DeliveryId);
        return TypedResults.Ok(Pagination.Page(rows.ConvertAll(d => WebhookDeliveryView.From(d, attempts[d.Id])), take, d => d.Id));
    }

    private static async Task<Results<Accepted<WebhookDeliveryView>, ProblemHttpResult>> Retry(
        string id, HttpContext http, AppDbContext db, WebhookSignal signal, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(id, "whd")) return Problems.NotFound("delivery");
        var org = http.Caller().OrganizationId;
        var now = clock.Now();
        var delivery = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id && d.OrganizationId == org, ct);
        if (delivery is null) return Problems.NotFound("delivery");
        if (delivery.EndpointId is not null && !await db.WebhookEndpoints.AnyAsync(w => w.Id == delivery.EndpointId && w.Enabled, ct))
            return Problems.Error("conflict", "The endpoint is disabled; enable it (PATCH enabled=true) before retrying.");
        // Conditional: a delivery being sent right now (leased) is left to that send.
        var changed = await db.WebhookDeliveries
            .Where(d => d.Id == id && d.OrganizationId == org && (d.LeaseUntil == null || d.LeaseUntil < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, WebhookDeliveryStatus.Pending).SetProperty(d => d.NextAttemptAt, now), ct);
        if (changed == 0) return Problems.Error("conflict", "This delivery is being sent right now; look at its attempts shortly.");
        signal.Wake();
        delivery.Status = WebhookDeliveryStatus.Pending;
        delivery.NextAttemptAt = now;
        var attempts = await db.WebhookAttempts.AsNoTracking().Where(a => a.DeliveryId == id).ToListAsync(ct);
        return TypedResults.Accepted($"/v1/deliveries/{id}", WebhookDeliveryView.From(delivery, attempts));
    }

    private static async Task<Ok<WebhookSecretView>> OrganizationSecret(HttpContext http, AppDbContext db, TimeProvider clock, CancellationToken ct) =>
        TypedResults.Ok(new WebhookSecretView(await WebhookSecrets.ForOrganizationAsync(db, http.Caller().OrganizationId, clock, ct)));

    private static async Task<WebhookEndpoint?> FindAsync(AppDbContext db, string id, HttpContext http, CancellationToken ct, bool tracking = false)
    {
        if (!Ids.IsValid(id, "whe")) return null;
        var org = http.Caller().OrganizationId;
        var query = tracking ? db.WebhookEndpoints : db.WebhookEndpoints.AsNoTracking();
        return await query.FirstOrDefaultAsync(w => w.Id == id && w.OrganizationId == org, ct);
    }

    /// <summary>Validates <c>events[]</c>: known types or <c>*</c>; empty or <c>*</c> means all. Null when absent or invalid.</summary>
    private static string[]? ReadEvents(string[]? events, Dictionary<string, string[]> errors)
    {
        if (events is null) return null;
        var unknown = events.Where(e => e != WebhookEvents.All && !EventTypes.All.Contains(e)).ToArray();
        if (unknown.Length > 0)
        {
            errors["events"] = [$"{string.Join(", ", unknown.Select(u => $"'{u}'"))} is not an event type; use '*' or one of {string.Join(", ", EventTypes.All)}."];
            return null;
        }
        return events.Length == 0 || events.Contains(WebhookEvents.All) ? [WebhookEvents.All] : events.Distinct().ToArray();
    }

    /// <summary>Registers the outbox signal, the options and the dispatcher.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(WebhookOptions.From(configuration));
        services.AddSingleton<WebhookSignal>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }
}

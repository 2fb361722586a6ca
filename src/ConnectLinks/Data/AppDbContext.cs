using System.Text.Json;
using ConnectLinks.Api;
using ConnectLinks.Connections;
using ConnectLinks.Connectors;
using ConnectLinks.Events;
using ConnectLinks.Links;
using ConnectLinks.Organizations;
using ConnectLinks.Security;
using ConnectLinks.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ConnectLinks.Data;

/// <summary>The one database of the service, on SQLite or PostgreSQL.</summary>
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Link> Links => Set<Link>();
    public DbSet<Event> Events => Set<Event>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<Connection> Connections => Set<Connection>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<WebhookEndpoint> WebhookEndpoints => Set<WebhookEndpoint>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();
    public DbSet<WebhookSigningSecret> WebhookSigningSecrets => Set<WebhookSigningSecret>();
    public DbSet<OAuth.OAuthClient> OAuthClients => Set<OAuth.OAuthClient>();
    public DbSet<OAuth.OAuthState> OAuthStates => Set<OAuth.OAuthState>();

    // Note: the webhook outbox hooks in here so that every new event, from any call site, gets its deliveries in the
    // same transaction (see WebhookOutbox); the event counter of /metrics counts them once they commit.
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var events = WebhookOutbox.NewEvents(this, out var saved);
        var deliveries = WebhookOutbox.AddDeliveries(this, events);
        var result = base.SaveChanges(acceptAllChangesOnSuccess);
        CommittedEvents.Saved(this, saved);
        if (deliveries > 0) WebhookOutbox.Wake(this);
        return result;
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var events = WebhookOutbox.NewEvents(this, out var saved);
        var deliveries = await WebhookOutbox.AddDeliveriesAsync(this, events, cancellationToken);
        var result = await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        CommittedEvents.Saved(this, saved);
        if (deliveries > 0) WebhookOutbox.Wake(this);
        return result;
    }

    /// <summary>
    /// The application's services. Contexts come from a pooled factory and cannot take constructor services; the
    /// provider is reachable through the options. A context built outside the web app (the CLI, tests) may lack some.
    /// </summary>
    public IServiceProvider? ApplicationServices =>
        this.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider;

    protected override void ConfigureConventions(ModelConfigurationBuilder configuration)
    {
        // Note: timestamps are stored as Unix milliseconds (bigint) on both providers. SQLite cannot compare or
        // order DateTimeOffset stored as text, and one representation keeps the hand-written migration identical.
        configuration.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
        configuration.Properties<string[]>().HaveConversion<JsonConverter<string[]>, JsonComparer<string[]>>();
        configuration.Properties<CheckResult[]>().HaveConversion<JsonConverter<CheckResult[]>, JsonComparer<CheckResult[]>>();
        configuration.Properties<Dictionary<string, string>>()
            .HaveConversion<JsonConverter<Dictionary<string, string>>, JsonComparer<Dictionary<string, string>>>();
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Organization>(e =>
        {
            e.ToTable("organizations");
            e.HasIndex(o => o.Name).IsUnique();
        });
        model.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasIndex(k => k.Hash).IsUnique();
            e.HasIndex(k => k.OrganizationId);
        });
        model.Entity<Link>(e =>
        {
            e.ToTable("links");
            e.Ignore(l => l.Connectors);
            e.HasIndex(l => l.TokenHash).IsUnique();
            e.HasIndex(l => new { l.OrganizationId, l.Id });
            e.HasIndex(l => new { l.Status, l.ExpiresAt });
        });
        model.Entity<Event>(e =>
        {
            e.ToTable("events");
            e.HasIndex(v => new { v.OrganizationId, v.Id });
            e.HasIndex(v => v.CreatedAt);
        });
        model.Entity<Connection>(e =>
        {
            e.ToTable("connections");
            e.HasIndex(c => new { c.OrganizationId, c.Id });
            e.HasIndex(c => c.SecretKeyId);
            e.Ignore(c => c.SecretOwner);
        });
        model.Entity<DataProtectionKey>(e => e.ToTable("data_protection_keys"));
        model.Entity<IdempotencyRecord>(e =>
        {
            e.ToTable("idempotency_records");
            e.HasKey(r => new { r.OrganizationId, r.Key });
            e.HasIndex(r => r.CreatedAt);
        });
        model.ConfigureWebhooks();
        OAuth.OAuthModel.Configure(model);
    }

    private sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.ToUnixTimeMilliseconds(), v => DateTimeOffset.FromUnixTimeMilliseconds(v));

    private sealed class JsonConverter<T>() : ValueConverter<T, string>(
        v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
        v => JsonSerializer.Deserialize<T>(v, JsonSerializerOptions.Default)!);

    private sealed class JsonComparer<T>() : ValueComparer<T>(
        (a, b) => JsonSerializer.Serialize(a, JsonSerializerOptions.Default) == JsonSerializer.Serialize(b, JsonSerializerOptions.Default),
        v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default).GetHashCode(),
        v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonSerializerOptions.Default), JsonSerializerOptions.Default)!);
}

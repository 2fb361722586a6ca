using System.Text.RegularExpressions;
using ConnectLinks.Organizations;

namespace ConnectLinks.Links;

/// <summary>The end customer a link is for.</summary>
public sealed record OwnerInput(string? Id, string? Name, string? Username);

/// <summary>Body of <c>POST /v1/links</c>. Every field is optional on the wire so that a missing one gets a clear message.</summary>
public sealed record CreateLinkRequest(
    string? Kind = null,
    string? Connector = null,
    string[]? Connectors = null,
    string[]? Categories = null,
    OwnerInput? Owner = null,
    string? Title = null,
    string? RedirectUri = null,
    long? ExpiresIn = null,
    int? MaxUses = null,
    int? MaxAttempts = null,
    Dictionary<string, string>? Metadata = null,
    Dictionary<string, string>? Prefill = null,
    string? WebhookUrl = null,
    string? ConnectionId = null);

/// <summary>Body of regenerate (optional) and extend (required <c>expires_in</c>).</summary>
public sealed record ExpiryRequest(long? ExpiresIn = null);

/// <summary>Input limits, documented in the README; each breach is a 400 naming the field.</summary>
public static partial class LinkRules
{
    public const int MinExpiresIn = 300;
    public const int MaxExpiresIn = 30 * 24 * 3600;
    public const int MaxTextLength = 200;
    public const int MaxUsernameLength = 320;
    public const int MaxMetadataKeys = 50;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 500;
    public const int MaxPrefillValueLength = 1000;
    public const int MaxListItems = 50;
    public const int MaxUses = 1000;
    public const int MaxAttempts = 100;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    public static partial Regex CatalogId();

    public static void ExpiresIn(long? value, string field, Dictionary<string, string[]> errors, bool required = false)
    {
        if (value is null)
        {
            if (required) errors[field] = ["is required."];
            return;
        }
        if (value is < MinExpiresIn or > MaxExpiresIn)
            errors[field] = [$"must be from {MinExpiresIn} seconds (5 minutes) to {MaxExpiresIn} seconds (30 days)."];
    }

    /// <summary>Validates a create request against the limits and the organization's redirect rules.</summary>
    public static Dictionary<string, string[]> Validate(CreateLinkRequest r, Organization org, Func<string, bool> connectorExists, Func<string, bool> categoryExists)
    {
        var errors = new Dictionary<string, string[]>();
        if (r.Kind is not (null or LinkKind.Destination or LinkKind.Source))
            errors["kind"] = ["must be 'destination' or 'source'."];

        var chosen = (r.Connector is not null ? 1 : 0) + (r.Connectors is not null ? 1 : 0) + (r.Categories is not null ? 1 : 0);
        if (chosen > 1) errors["connector"] = ["give only one of connector, connectors or categories."];
        if (r.Connector is not null && !connectorExists(r.Connector))
            errors["connector"] = [$"'{Clip(r.Connector)}' is not a connector in the catalog (GET /v1/connectors)."];
        CheckList(r.Connectors, "connectors", connectorExists, "is not a connector in the catalog (GET /v1/connectors).", errors);
        CheckList(r.Categories, "categories", categoryExists, "is not a connector category.", errors);

        if (r.Owner is null) errors["owner"] = ["is required: at least owner.id, your own id for this customer."];
        else
        {
            if (string.IsNullOrWhiteSpace(r.Owner.Id)) errors["owner.id"] = ["is required."];
            Text(r.Owner.Id, "owner.id", MaxTextLength, errors);
            Text(r.Owner.Name, "owner.name", MaxTextLength, errors);
            Text(r.Owner.Username, "owner.username", MaxUsernameLength, errors);
        }
        Text(r.Title, "title", MaxTextLength, errors);

        if (r.RedirectUri is not null && Origins.CheckRedirect(r.RedirectUri, org.AllowedRedirectOrigins) is { } redirectError)
            errors["redirect_uri"] = [redirectError];
        if (r.WebhookUrl is not null && Origins.CheckCallbackUrl(r.WebhookUrl) is { } webhookError)
            errors["webhook_url"] = [webhookError];
        ExpiresIn(r.ExpiresIn, "expires_in", errors);
        if (r.MaxUses is < 1 or > MaxUses) errors["max_uses"] = [$"must be from 1 to {MaxUses}."];
        if (r.MaxAttempts is < 1 or > MaxAttempts) errors["max_attempts"] = [$"must be from 1 to {MaxAttempts}."];

        CheckMap(r.Metadata, "metadata", MaxMetadataValueLength, errors);
        CheckMap(r.Prefill, "prefill", MaxPrefillValueLength, errors);
        return errors;
    }

    private static void Text(string? value, string field, int max, Dictionary<string, string[]> errors)
    {
        if (value is not null && value.Length > max) errors[field] = [$"must be at most {max} characters."];
        else if (value is not null && value.Any(char.IsControl)) errors[field] = ["must not contain control characters."];
    }

    private static void CheckList(string[]? values, string field, Func<string, bool> exists, string unknown, Dictionary<string, string[]> errors)
    {
        if (values is null) return;
        if (values.Length == 0) errors[field] = ["must not be empty; leave it out to allow every connector."];
        else if (values.Length > MaxListItems) errors[field] = [$"must have at most {MaxListItems} items."];
        else if (values.Distinct().Count() != values.Length) errors[field] = ["must not repeat an item."];
        else
        {
            var bad = values.Where(v => v is null || !exists(v)).Select(v => $"'{Clip(v ?? "null")}' {unknown}").ToArray();
            if (bad.Length > 0) errors[field] = bad;
        }
    }

    private static void CheckMap(Dictionary<string, string>? map, string field, int maxValue, Dictionary<string, string[]> errors)
    {
        if (map is null) return;
        if (map.Count > MaxMetadataKeys) { errors[field] = [$"must have at most {MaxMetadataKeys} keys (has {map.Count})."]; return; }
        foreach (var (key, value) in map)
        {
            if (key.Length is 0 or > MaxMetadataKeyLength) errors[$"{field}.{Clip(key)}"] = [$"keys must be 1 to {MaxMetadataKeyLength} characters."];
            else if (value is null) errors[$"{field}.{key}"] = ["must be a string."];
            else if (value.Length > maxValue) errors[$"{field}.{key}"] = [$"must be at most {maxValue} characters."];
        }
    }

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";
}

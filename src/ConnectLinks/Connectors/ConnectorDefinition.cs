using System.Globalization;

namespace ConnectLinks.Connectors;

/// <summary>
/// A kind of external system a connection can be made to: what it is called, which
/// credentials its form asks for, and which checks its connection test runs.
/// Loaded from a definition file in <c>Connectors/Definitions</c>.
/// </summary>
public sealed record ConnectorDefinition
{
    /// <summary>Stable id used in links and connections, e.g. <c>postgres</c>.</summary>
    public required string Id { get; init; }
    public required string Name { get; init; }
    /// <summary>e.g. database, storage, crm, payments, api.</summary>
    public required string Category { get; init; }
    /// <summary><c>credentials</c> or <c>oauth2</c>.</summary>
    public string AuthMode { get; init; } = "credentials";
    public string Description { get; init; } = "";
    /// <summary>A data: URI (self-contained, so pages need <c>img-src data:</c>) or null.</summary>
    public string? LogoUrl { get; init; }
    /// <summary>Which <see cref="IConnectorTester"/> runs the test (postgres, mysql, redis, s3, http).</summary>
    public required string Tester { get; init; }
    public IReadOnlyList<ConnectorField> Fields { get; init; } = [];
    /// <summary>The checks the test runs, in order.</summary>
    public IReadOnlyList<ConnectorCheckInfo> Checks { get; init; } = [];
    /// <summary>Base URL, auth placement and test requests; only for the declarative http tester.</summary>
    public HttpApiSpec? Http { get; init; }
    /// <summary>Authorization and token endpoints, scopes and client authentication; only for auth mode <c>oauth2</c>.</summary>
    public OAuth2Spec? OAuth2 { get; init; }

    public ConnectorField? FindField(string name) => Fields.FirstOrDefault(f => f.Name == name);

    /// <summary>
    /// Checks submitted form values against the field schema. Returns plain-language errors keyed
    /// by field name; empty when the values are acceptable. Messages never repeat the value.
    /// </summary>
    public Dictionary<string, string[]> Validate(IReadOnlyDictionary<string, string?> values)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var name in values.Keys)
        {
            if (FindField(name) is null)
            {
                errors[name] = [$"'{name}' is not a field of {Name}."];
            }
        }
        foreach (var field in Fields)
        {
            values.TryGetValue(field.Name, out var value);
            var fieldErrors = field.Validate(value);
            if (fieldErrors.Count > 0)
            {
                errors[field.Name] = [.. fieldErrors];
            }
        }
        return errors;
    }

    /// <summary>
    /// The values a tester works with: every field present, blanks replaced by defaults, text trimmed
    /// (secrets are kept exactly as typed).
    /// </summary>
    public Dictionary<string, string?> WithDefaults(IReadOnlyDictionary<string, string?> values)
    {
        var result = new Dictionary<string, string?>();
        foreach (var field in Fields)
        {
            values.TryGetValue(field.Name, out var value);
            if (!field.Secret)
            {
                value = value?.Trim();
            }
            result[field.Name] = string.IsNullOrEmpty(value) ? field.Default : value;
        }
        return result;
    }

    /// <summary>
    /// Splits values into non-secret configuration (safe to show and prefill) and secrets (to be
    /// stored encrypted and never echoed). Unknown fields are dropped; validate first.
    /// </summary>
    public ConnectorValues Split(IReadOnlyDictionary<string, string?> values)
    {
        var config = new Dictionary<string, string?>();
        var secrets = new Dictionary<string, string>();
        foreach (var (name, value) in WithDefaults(values))
        {
            if (FindField(name)!.Secret)
            {
                if (!string.IsNullOrEmpty(value))
                {
                    secrets[name] = value;
                }
            }
            else
            {
                config[name] = value;
            }
        }
        return new ConnectorValues(config, secrets);
    }
}

/// <summary>Form values split by sensitivity.</summary>
public sealed record ConnectorValues(Dictionary<string, string?> Config, Dictionary<string, string> Secrets);

/// <summary>One named step of a connection test, e.g. <c>{ "auth", "Sign in" }</c>.</summary>
public sealed record ConnectorCheckInfo(string Id, string Name);

/// <summary>A choice of a select field.</summary>
public sealed record ConnectorFieldOption(string Value, string Label);

/// <summary>One input of a connector's credential form.</summary>
public sealed record ConnectorField
{
    /// <summary>snake_case key.</summary>
    public required string Name { get; init; }
    public required string Label { get; init; }
    /// <summary>text, password, number, select, boolean or textarea.</summary>
    public string Type { get; init; } = "text";
    public bool Required { get; init; }
    /// <summary>Stored encrypted, never echoed back, never prefilled.</summary>
    public bool Secret { get; init; }
    public string? Help { get; init; }
    public string? Placeholder { get; init; }
    public string? Default { get; init; }
    public IReadOnlyList<ConnectorFieldOption> Options { get; init; } = [];
    public int MaxLength { get; init; } = 1024;
    /// <summary>Inclusive bounds for number fields.</summary>
    public long? Min { get; init; }
    public long? Max { get; init; }

    internal List<string> Validate(string? value)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(value))
        {
            if (Required && Default is null)
            {
                errors.Add($"{Label} is required.");
            }
            return errors;
        }
        if (value.Length > MaxLength)
        {
            errors.Add($"{Label} must be at most {MaxLength} characters.");
            return errors;
        }
        switch (Type)
        {
            case "number":
                if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    errors.Add($"{Label} must be a whole number.");
                }
                else if ((Min is { } min && number < min) || (Max is { } max && number > max))
                {
                    errors.Add($"{Label} must be between {Min?.ToString(CultureInfo.InvariantCulture) ?? "any"} and {Max?.ToString(CultureInfo.InvariantCulture) ?? "any"}.");
                }
                break;
            case "select":
                if (!Options.Any(o => o.Value == value.Trim()))
                {
                    errors.Add($"{Label} must be one of: {string.Join(", ", Options.Select(o => o.Value))}.");
                }
                break;
            case "boolean":
                if (ParseBoolean(value) is null)
                {
                    errors.Add($"{Label} must be true or false.");
                }
                break;
        }
        return errors;
    }

    /// <summary>Reads a boolean form value; HTML checkboxes post "on".</summary>
    public static bool? ParseBoolean(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "true" or "on" or "1" or "yes" => true,
        "false" or "off" or "0" or "no" or "" or null => false,
        _ => null,
    };
}

/// <summary>The declarative part of an http connector definition.</summary>
public sealed record HttpApiSpec
{
    /// <summary>Absolute URL; <c>{field_name}</c> is replaced by a non-secret field value.</summary>
    public required string BaseUrl { get; init; }
    public required HttpAuthSpec Auth { get; init; }
    public IReadOnlyList<HttpTestRequest> Requests { get; init; } = [];
}

/// <summary>Where the credential goes on each request.</summary>
public sealed record HttpAuthSpec
{
    /// <summary>bearer, basic, header or query.</summary>
    public required string Type { get; init; }
    /// <summary>Field holding the token (bearer, header, query) or the basic-auth username.</summary>
    public string? Field { get; init; }
    /// <summary>For basic: the field holding the password (may be absent, e.g. Stripe).</summary>
    public string? PasswordField { get; init; }
    /// <summary>Header name (header) or query parameter name (query).</summary>
    public string? Name { get; init; }
    /// <summary>Optional prefix for header auth, e.g. "Token ".</summary>
    public string? Prefix { get; init; }
}

/// <summary>One request of an http connector's test; each becomes a check.</summary>
public sealed record HttpTestRequest
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string Method { get; init; } = "GET";
    /// <summary>Path and query relative to the base URL.</summary>
    public required string Path { get; init; }
    public IReadOnlyList<int> ExpectStatus { get; init; } = [200];
    /// <summary>Optional JSON path (subset: <c>$.a.b[0].c</c>) that must exist in the response.</summary>
    public string? JsonPath { get; init; }
    /// <summary>If set, the value at <see cref="JsonPath"/> must equal this (compared as text).</summary>
    public string? JsonEquals { get; init; }
    /// <summary>Extra request headers, e.g. an API version.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

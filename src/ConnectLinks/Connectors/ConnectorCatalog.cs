using System.Text.Json;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Connectors;

/// <summary>
/// Every connector this service offers, loaded once at start from the definition files in
/// <c>Connectors/Definitions</c> (copied beside the binary by the Web SDK's content rules).
/// </summary>
public sealed class ConnectorCatalog
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private readonly Dictionary<string, ConnectorDefinition> _byId;

    public ConnectorCatalog(IOptions<ConnectorsOptions> options)
        : this(Load(options.Value.DefinitionsPath ?? Path.Combine(AppContext.BaseDirectory, "Connectors", "Definitions")))
    {
    }

    public ConnectorCatalog(IEnumerable<ConnectorDefinition> connectors)
    {
        All = [.. connectors.OrderBy(c => c.Category, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.OrdinalIgnoreCase)];
        _byId = new Dictionary<string, ConnectorDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var connector in All)
        {
            if (!_byId.TryAdd(connector.Id, connector))
            {
                throw new InvalidOperationException($"Two connector definitions use the id '{connector.Id}'.");
            }
        }
        Categories = [.. All.Select(c => c.Category).Distinct().Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<ConnectorDefinition> All { get; }

    /// <summary>Distinct categories of <see cref="All"/>, sorted.</summary>
    public IReadOnlyList<string> Categories { get; }

    public ConnectorDefinition? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Reads and checks every <c>*.json</c> definition in <paramref name="folder"/>.</summary>
    public static List<ConnectorDefinition> Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new InvalidOperationException($"The connector definitions folder '{folder}' does not exist.");
        }
        var result = new List<ConnectorDefinition>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            ConnectorDefinition definition;
            try
            {
                definition = JsonSerializer.Deserialize<ConnectorDefinition>(File.ReadAllText(file), JsonOptions)
                    ?? throw new InvalidOperationException("the file is empty");
            }
            catch (JsonException e)
            {
                throw new InvalidOperationException($"Connector definition {Path.GetFileName(file)} is not valid: {e.Message}", e);
            }
            result.Add(Complete(definition, Path.GetFileName(file)));
        }
        return result;
    }

    /// <summary>Fills derived parts (http checks, a monogram logo) and rejects inconsistent definitions.</summary>
    internal static ConnectorDefinition Complete(ConnectorDefinition d, string source)
    {
        void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw new InvalidOperationException($"Connector definition {source} ({d.Id}): {problem}");
            }
        }
        Require(d.AuthMode is "credentials" or "oauth2", "authMode must be credentials or oauth2");
        if (d.AuthMode == "oauth2") d = CompleteOAuth2(d, source);
        Require(d.Fields.Select(f => f.Name).Distinct().Count() == d.Fields.Count, "field names must be unique");
        Require(d.Fields.All(f => f.Type is "text" or "password" or "number" or "select" or "boolean" or "textarea"), "unknown field type");
        Require(d.Fields.Where(f => f.Type == "select").All(f => f.Options.Count > 0), "a select field needs options");

        if (d.Tester == "http")
        {
            Require(d.Http is not null, "an http connector needs an 'http' section");
            var http = d.Http!;
            Require(http.Requests.Count > 0, "an http connector needs at least one test request");
            Require(http.Auth.Type is "bearer" or "basic" or "header" or "query", "auth type must be bearer, basic, header or query");
            Require(http.Auth.Field is not null && d.FindField(http.Auth.Field) is not null, "auth field must name a field");
            Require(http.Auth.Type is not ("header" or "query") || !string.IsNullOrEmpty(http.Auth.Name), "header and query auth need a name");
            d = d with
            {
                Checks = [new ConnectorCheckInfo("host", "Host name resolves"), .. http.Requests.Select(r => new ConnectorCheckInfo(r.Id, r.Name))],
            };
        }
        Require(d.Checks.Count > 0, "a connector needs at least one check");
        Require(d.Checks.Select(c => c.Id).Distinct().Count() == d.Checks.Count, "check ids must be unique");
        return d.LogoUrl is null ? d with { LogoUrl = Monogram(d.Name) } : d;
    }

    // An OAuth connector's credentials are the token fields; its test is its http section with the access token as bearer.
    private static ConnectorDefinition CompleteOAuth2(ConnectorDefinition d, string source)
    {
        void Require(bool condition, string problem)
        {
            if (!condition) throw new InvalidOperationException($"Connector definition {source} ({d.Id}): {problem}");
        }
        static bool IsHttpUrl(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "https" or "http";
        Require(d.OAuth2 is not null, "an oauth2 connector needs an 'oauth2' section");
        var spec = d.OAuth2!;
        Require(IsHttpUrl(spec.AuthorizationUrl) && IsHttpUrl(spec.TokenUrl), "authorizationUrl and tokenUrl must be absolute http(s) URLs");
        Require(spec.ClientAuth is OAuth2Spec.ClientSecretBasic or OAuth2Spec.ClientSecretPost, "clientAuth must be client_secret_basic or client_secret_post");
        Require(d.Fields.Count == 0, "an oauth2 connector has no form fields (its credentials are the tokens)");
        Require(d.Tester == "http" && d.Http is not null, "an oauth2 connector tests with tester 'http' and an 'http' section");
        Require(d.Http!.Auth.Type == "bearer" && d.Http.Auth.Field == "access_token", "an oauth2 connector's http auth is bearer with field access_token");
        return d with { Fields = OAuth2Spec.TokenFields };
    }

    // A small self-contained SVG badge so every connector has a logo without shipping brand artwork.
    private static string Monogram(string name)
    {
        var letters = string.Concat(name.Split(' ', '-', StringSplitOptions.RemoveEmptyEntries).Take(2).Select(w => char.ToUpperInvariant(w[0])));
        var hue = (uint)name.Aggregate(17, (h, c) => h * 31 + c) % 360;
        var svg = $"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 40 40'><rect width='40' height='40' rx='8' fill='hsl({hue},55%,40%)'/>"
            + $"<text x='20' y='26' font-family='sans-serif' font-size='16' fill='white' text-anchor='middle'>{System.Net.WebUtility.HtmlEncode(letters)}</text></svg>";
        return "data:image/svg+xml," + Uri.EscapeDataString(svg);
    }
}

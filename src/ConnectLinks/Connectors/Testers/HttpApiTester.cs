using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ConnectLinks.Security;
using Microsoft.Extensions.Options;

namespace ConnectLinks.Connectors.Testers;

/// <summary>
/// The declarative http engine: sends a definition's test requests with the credential placed
/// as the definition says (bearer, basic, header, query) and checks status and JSON path.
/// </summary>
public sealed class HttpApiTester : IConnectorTester, IDisposable
{
    private readonly NetworkGuard _guard;
    private readonly IOptions<ConnectorsOptions> _options;
    private readonly HttpClient _http;

    public HttpApiTester(NetworkGuard guard, IOptions<ConnectorsOptions> options)
    {
        _guard = guard;
        _options = options;
        // One pooled client for all tests; every new connection goes through the guard.
        // Redirects are not followed: a test request that redirects is reported instead.
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = guard.ConnectCallback,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // the check run owns timeouts
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("ConnectLinks-ConnectionTest/1.0");
    }

    public string Protocol => "http";

    public async Task RunAsync(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, ConnectorCheckRun run, CancellationToken ct)
    {
        var spec = connector.Http ?? throw new InvalidOperationException($"Connector '{connector.Id}' has no http section.");
        Uri? baseUri = null;
        await run.CheckAsync("host", async t =>
        {
            var template = _options.Value.BaseUrlOverrides.TryGetValue(connector.Id, out var overridden) ? overridden : spec.BaseUrl;
            var text = Fill(template, connector, values);
            if (!Uri.TryCreate(text, UriKind.Absolute, out baseUri) || baseUri.Scheme is not ("http" or "https"))
            {
                throw new CheckFailedException("The base URL must be an absolute http or https URL.", "For example https://api.example.com");
            }
            try
            {
                var address = await _guard.ResolveAsync(baseUri.Host, t);
                return CheckOutcome.Pass($"{baseUri.Host} resolves to {address}.");
            }
            catch (HostNotFoundException e)
            {
                throw new CheckFailedException(e.Message, "Check the URL.");
            }
        }, ct);
        if (baseUri is null)
        {
            return;
        }

        foreach (var request in spec.Requests)
        {
            var path = Fill(request.Path, connector, values);
            await run.CheckAsync(request.Id, t => SendAsync(baseUri, spec.Auth, request, path, values, t), ct);
        }
    }

    private async Task<CheckOutcome> SendAsync(Uri baseUri, HttpAuthSpec auth, HttpTestRequest test, string path, IReadOnlyDictionary<string, string?> values, CancellationToken ct)
    {
        var url = new Uri(baseUri.AbsoluteUri.TrimEnd('/') + "/" + path.TrimStart('/'));
        var secret = values.Text(auth.Field!);
        if (auth.Type == "query")
        {
            var separator = url.Query.Length > 0 ? "&" : "?";
            url = new Uri(url.AbsoluteUri + separator + Uri.EscapeDataString(auth.Name!) + "=" + Uri.EscapeDataString(secret));
        }
        using var message = new HttpRequestMessage(new HttpMethod(test.Method), url);
        message.Headers.Accept.ParseAdd("application/json");
        foreach (var (name, value) in test.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        switch (auth.Type)
        {
            case "bearer":
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                break;
            case "basic":
                var password = auth.PasswordField is null ? "" : values.Text(auth.PasswordField);
                message.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{secret}:{password}")));
                break;
            case "header":
                message.Headers.TryAddWithoutValidation(auth.Name!, (auth.Prefix ?? "") + secret);
                break;
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e) when (e.InnerException is NetworkTargetRefusedException refused)
        {
            throw refused;
        }
        catch (HttpRequestException e) when (e.InnerException is HostNotFoundException notFound)
        {
            throw new CheckFailedException(notFound.Message, "Check the URL.");
        }
        catch (HttpRequestException e)
        {
            // The message names the host and the socket error, never the request's headers or query.
            throw new CheckFailedException($"The request to {url.Host} failed: {e.HttpRequestError}.", "Check the URL and that the API is reachable.");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var what = $"{test.Method} {url.AbsolutePath}";
            if (!test.ExpectStatus.Contains(status))
            {
                throw status switch
                {
                    401 => new CheckFailedException($"{what} answered 401 Unauthorized: the credential was not accepted.", "Check the key or token; it may be mistyped, revoked or expired."),
                    403 => new CheckFailedException($"{what} answered 403 Forbidden: the credential is valid but lacks a permission.", "Give the key or token the scopes this integration needs."),
                    404 => new CheckFailedException($"{what} answered 404 Not Found.", "Check the base URL."),
                    429 => new CheckFailedException($"{what} answered 429 Too Many Requests.", "Wait a minute and test again."),
                    >= 300 and < 400 => new CheckFailedException($"{what} redirected to {response.Headers.Location?.GetLeftPart(UriPartial.Path)}.", "Use the final URL as the base URL."),
                    _ => new CheckFailedException($"{what} answered {status} {response.ReasonPhrase}; expected {string.Join(" or ", test.ExpectStatus)}.", null),
                };
            }
            if (test.JsonPath is null)
            {
                return CheckOutcome.Pass($"{what} answered {status}.");
            }
            JsonDocument document;
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                document = await JsonDocument.ParseAsync(body, cancellationToken: ct);
            }
            catch (JsonException)
            {
                throw new CheckFailedException($"{what} answered {status} but the body is not JSON.", "Check the base URL: it may point at a web page instead of the API.");
            }
            using (document)
            {
                if (!JsonPathAssertion.TryFind(document.RootElement, test.JsonPath, out var found))
                {
                    throw new CheckFailedException($"{what} answered {status} but the response has no {test.JsonPath}.", "Check the base URL: it may not be the expected API.");
                }
                if (test.JsonEquals is not null && JsonPathAssertion.AsText(found) != test.JsonEquals)
                {
                    throw new CheckFailedException($"{what} answered {status} but {test.JsonPath} is not '{test.JsonEquals}'.", null);
                }
                return CheckOutcome.Pass($"{what} answered {status}.");
            }
        }
    }

    // Fills {field} placeholders in the base URL or a path with non-secret values only.
    private static string Fill(string template, ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values)
    {
        foreach (var field in connector.Fields.Where(f => !f.Secret))
        {
            template = template.Replace("{" + field.Name + "}", values.Text(field.Name), StringComparison.Ordinal);
        }
        return template;
    }

    public void Dispose() => _http.Dispose();
}

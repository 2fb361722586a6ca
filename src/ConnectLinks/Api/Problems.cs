using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace ConnectLinks.Api;

/// <summary>
/// The one place that turns the product's error codes into RFC 9457 problem details. Every error carries
/// <c>type</c> (<c>/docs/errors#code</c>), <c>title</c>, <c>status</c>, <c>detail</c> and, for input errors,
/// <c>errors{field:[message]}</c>.
/// </summary>
public static class Problems
{
    private static readonly Dictionary<string, (int Status, string Title)> Codes = new()
    {
        ["validation_failed"] = (400, "The request is not valid."),
        ["malformed_request"] = (400, "The request body could not be read."),
        ["unauthorized"] = (401, "A valid API key is required."),
        ["forbidden"] = (403, "The API key lacks the scope this needs."),
        ["not_found"] = (404, "Not found."),
        ["method_not_allowed"] = (405, "This address does not accept that method."),
        ["conflict"] = (409, "The resource is in a state that does not allow this."),
        ["idempotency_in_progress"] = (409, "A request with this Idempotency-Key is still running."),
        ["payload_too_large"] = (413, "The request body is too large."),
        ["idempotency_key_reused"] = (422, "This Idempotency-Key was used with a different request."),
        ["rate_limited"] = (429, "Too many requests."),
        ["internal_error"] = (500, "Something went wrong on our side."),
    };

    public static ProblemHttpResult Error(string code, string detail, Dictionary<string, string[]>? errors = null)
    {
        var (status, title) = Codes[code];
        var problem = new ProblemDetails { Type = TypeOf(code), Title = title, Status = status, Detail = detail };
        problem.Extensions["code"] = code;
        if (errors is { Count: > 0 }) problem.Extensions["errors"] = errors;
        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult Validation(Dictionary<string, string[]> errors) =>
        Error("validation_failed", errors.Count == 1
            ? $"{errors.First().Key}: {errors.First().Value[0]}"
            : $"{errors.Count} fields are not valid.", errors);

    public static ProblemHttpResult Validation(string field, string message) => Validation(new() { [field] = [message] });

    public static ProblemHttpResult NotFound(string what) => Error("not_found", $"No {what} with this id.");

    public static string TypeOf(string code) => $"/docs/errors#{code}";

    /// <summary>Status codes with no body of their own (401, 403, 404 from routing, 405) get a problem with a code too;
    /// anything else without a body becomes <c>internal_error</c>.</summary>
    public static string CodeForStatus(int status) => status switch
    {
        400 => "validation_failed",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        429 => "rate_limited",
        _ => "internal_error",
    };
}

/// <summary>
/// Turns exceptions into problem details: unreadable JSON becomes a 400 naming the field, a too-large body a 413,
/// anything else a 500 with no stack trace and nothing from the exception's message.
/// </summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        IResult result;
        if (exception is BadHttpRequestException bad)
        {
            result = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? Problems.Error("payload_too_large", "The request body is larger than this endpoint accepts.")
                : bad.InnerException is JsonException json ? FromJson(json)
                : Problems.Error("malformed_request", "The request body must be a JSON object (Content-Type: application/json).");
        }
        else
        {
            // Note: the message is logged without the request body, which may hold secrets.
            logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, RequestLogging.SafePath(context.Request.Path));
            result = Problems.Error("internal_error", $"Please retry; if it persists, contact support with trace id {context.TraceIdentifier}.");
        }
        await result.ExecuteAsync(context);
        return true;
    }

    /// <summary>Names the offending field from the serializer's JSON path and says what was expected.</summary>
    internal static ProblemHttpResult FromJson(JsonException json)
    {
        var message = json.Message;
        var unknown = UnknownMember().Match(message);
        if (unknown.Success)
        {
            // The serializer's path already ends at the unknown member.
            var field = FieldOf(json.Path) is { Length: > 0 } at ? at : unknown.Groups[1].Value;
            return Problems.Validation(field, "is not a known field.");
        }
        var path = FieldOf(json.Path);
        var reason = message.Contains("could not be converted to") ? $"must be {Describe(message)}." : "is not valid JSON here.";
        return path is "" ? Problems.Error("malformed_request", "The request body is not valid JSON.", new() { ["body"] = [reason] })
                          : Problems.Validation(path, reason);
    }

    private static string FieldOf(string? jsonPath) => (jsonPath ?? "$").TrimStart('$').TrimStart('.');

    private static string Describe(string message) => message[message.IndexOf("could not be converted to", StringComparison.Ordinal)..] switch
    {
        var t when t.Contains("Int32") || t.Contains("Int64") => "a whole number in range",
        var t when t.Contains("Boolean") => "true or false",
        var t when t.Contains("String[]") || t.Contains("List") => "an array of strings",
        var t when t.Contains("Dictionary") => "an object whose values are strings",
        var t when t.Contains("String") => "a string",
        _ => "an object",
    };

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnknownMember();
}

using System.Security.Cryptography;
using System.Text;
using ConnectLinks.Data;
using ConnectLinks.Security;
using ConnectLinks.Security.Secrets;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Api;

/// <summary>
/// <c>Idempotency-Key</c> on a POST: the first request reserves the key (a row with no response yet); when it
/// finishes its response is stored, and for 24 hours the same key gets that response again. A second request with
/// the key while the first still runs gets 409; the key with a different request gets 422. A 5xx frees the key.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;
    private const int MaxStoredBody = 256 * 1024;
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    public async Task InvokeAsync(HttpContext http, IDbContextFactory<AppDbContext> contexts, SecretBox box, TimeProvider clock)
    {
        var caller = http.Features.Get<ApiPrincipal>();
        string? key = http.Request.Headers[Header];
        if (!HttpMethods.IsPost(http.Request.Method) || caller is null || string.IsNullOrEmpty(key))
        {
            await next(http);
            return;
        }
        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            await Problems.Validation(Header, $"must be 1 to {MaxKeyLength} printable characters.").ExecuteAsync(http);
            return;
        }

        http.Request.EnableBuffering();
        var requestHash = await HashRequestAsync(http.Request);
        var now = clock.Now();
        await using (var db = await contexts.CreateDbContextAsync(http.RequestAborted))
        {
            var existing = await db.IdempotencyRecords.AsNoTracking()
                .FirstOrDefaultAsync(r => r.OrganizationId == caller.OrganizationId && r.Key == key, http.RequestAborted);
            if (existing is not null && existing.CreatedAt + Lifetime <= now)
            {
                await db.IdempotencyRecords.Where(r => r.OrganizationId == caller.OrganizationId && r.Key == key).ExecuteDeleteAsync(http.RequestAborted);
                existing = null;
            }
            if (existing is null)
            {
                db.IdempotencyRecords.Add(new IdempotencyRecord { OrganizationId = caller.OrganizationId, Key = key, RequestHash = requestHash, CreatedAt = now });
                try { await db.SaveChangesAsync(http.RequestAborted); }
                catch (DbUpdateException)
                {
                    // Another request reserved the key between our read and insert.
                    existing = await db.IdempotencyRecords.AsNoTracking()
                        .FirstAsync(r => r.OrganizationId == caller.OrganizationId && r.Key == key, http.RequestAborted);
                }
            }
            if (existing is not null)
            {
                await ReplayAsync(http, existing, requestHash, box);
                return;
            }
        }

        // Run the request once, keeping a copy of its response.
        var original = http.Response.Body;
        await using var copy = new MemoryStream();
        http.Response.Body = copy;
        try
        {
            await next(http);
        }
        finally
        {
            http.Response.Body = original;
        }
        copy.Position = 0;
        await copy.CopyToAsync(original, http.RequestAborted);

        await using var save = await contexts.CreateDbContextAsync(CancellationToken.None);
        var rows = save.IdempotencyRecords.Where(r => r.OrganizationId == caller.OrganizationId && r.Key == key);
        if (http.Response.StatusCode >= 500 || copy.Length > MaxStoredBody)
            await rows.ExecuteDeleteAsync(CancellationToken.None);
        else
        {
            var status = http.Response.StatusCode;
            var body = EncryptedSecretText.Format(box.Protect(Encoding.UTF8.GetString(copy.ToArray()), Owner(caller.OrganizationId, key)));
            await rows.ExecuteUpdateAsync(s => s.SetProperty(r => r.StatusCode, status).SetProperty(r => r.ResponseBody, body), CancellationToken.None);
        }
    }

    private static string Owner(string organizationId, string key) => $"idempotency/{organizationId}/{key}";

    private static async Task ReplayAsync(HttpContext http, IdempotencyRecord record, string requestHash, SecretBox box)
    {
        if (!OpaqueToken.HashesEqual(record.RequestHash, requestHash))
        {
            await Problems.Error("idempotency_key_reused", "This Idempotency-Key was first used with a different method, path or body. Use a new key for a new request.").ExecuteAsync(http);
            return;
        }
        if (record.StatusCode is null)
        {
            http.Response.Headers.RetryAfter = "1";
            await Problems.Error("idempotency_in_progress", "The first request with this Idempotency-Key has not finished; retry shortly.").ExecuteAsync(http);
            return;
        }
        http.Response.StatusCode = record.StatusCode.Value;
        http.Response.ContentType = record.StatusCode.Value >= 400 ? "application/problem+json" : "application/json; charset=utf-8";
        http.Response.Headers["Idempotent-Replayed"] = "true";
        var body = record.ResponseBody is null ? "" : box.Unprotect(EncryptedSecretText.Parse(record.ResponseBody), Owner(record.OrganizationId, record.Key));
        await http.Response.WriteAsync(body, http.RequestAborted);
    }

    private static async Task<string> HashRequestAsync(HttpRequest request)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}\n"));
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0) sha.AppendData(buffer, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConnectLinks.Tests.Webhooks;

/// <summary>One request as the receiver got it: headers (lowercase names) and the exact body.</summary>
public sealed record CapturedWebhook(Dictionary<string, string> Headers, string Body, DateTimeOffset ReceivedAt)
{
    public string Id => Headers["webhook-id"];
    public string Signature => Headers["webhook-signature"];
}

/// <summary>A real HTTP server on 127.0.0.1 (Kestrel) that records webhook requests and answers as a test tells it.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication _app = null!;

    private WebhookReceiver() { }

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<CapturedWebhook> Requests { get; } = new();

    /// <summary>Decides the status code of each request (200 by default); may wait to simulate a slow or hanging receiver.</summary>
    public Func<CapturedWebhook, CancellationToken, Task<int>> Respond { get; set; } = (_, _) => Task.FromResult(200);

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var (app, baseUrl) = await LocalHttpApp.StartAsync(app => app.MapPost("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var captured = new CapturedWebhook(headers, body, DateTimeOffset.UtcNow);
            receiver.Requests.Enqueue(captured);
            try { http.Response.StatusCode = await receiver.Respond(captured, http.RequestAborted); }
            catch (OperationCanceledException) { http.Abort(); }
        }));
        receiver._app = app;
        receiver.Url = baseUrl + "/hook";
        return receiver;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the requests so far.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyCollection<CapturedWebhook>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Requests.ToArray()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}; received {Requests.Count} request(s).");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the first request matching <paramref name="match"/>.</summary>
    public async Task<CapturedWebhook> WaitForAsync(Func<CapturedWebhook, bool> match, TimeSpan timeout, string what)
    {
        await WaitUntilAsync(r => r.Any(match), timeout, what);
        return Requests.First(match);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

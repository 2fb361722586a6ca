using System.Diagnostics;
using System.Text.Json;

namespace ConnectLinks.Tests.Webhooks;

/// <summary>Runs <c>scripts/webhooks/verify.mjs</c>: the official standardwebhooks npm package checking a captured delivery.</summary>
public static class Verifier
{
    /// <summary>
    /// True when the library accepts the delivery with <paramref name="secret"/>. Fails the test (never skips) when node or
    /// the package is missing: run scripts/webhooks/install.sh.
    /// </summary>
    public static async Task<(bool Verified, string Output)> VerifyAsync(string secret, CapturedWebhook delivery)
    {
        var root = ServiceProcess.RepositoryRoot();
        var script = Path.Combine(root, "scripts", "webhooks", "verify.mjs");
        var package = Path.Combine(root, ".tmp", "webhooks-verifier", "node_modules", "standardwebhooks", "package.json");
        File.Exists(package).ShouldBeTrue($"The standardwebhooks npm package is missing: run scripts/webhooks/install.sh (expected {package}).");
        var capture = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(capture, JsonSerializer.Serialize(new { headers = delivery.Headers, body = delivery.Body }));
            var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { script, secret, capture }) start.ArgumentList.Add(arg);
            Process process;
            try { process = Process.Start(start)!; }
            catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("node is not installed; the webhook verifier test needs it.", e); }
            using (process)
            {
                var stdout = process.StandardOutput.ReadToEndAsync();
                var stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                var output = (await stdout) + (await stderr);
                process.ExitCode.ShouldBeOneOf([0, 1], output); // 2 or a crash means the script itself is broken
                return (process.ExitCode == 0, output);
            }
        }
        finally { File.Delete(capture); }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace ConnectLinks.Tests.Infrastructure;

/// <summary>
/// The built service as a separate OS process (<c>dotnet ConnectLinks.dll</c>), so a test can kill it with SIGKILL
/// or run several instances on one database.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServiceProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string BaseUrl { get; }

    /// <summary>What the process printed (for failure messages).</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>src/ConnectLinks/bin/&lt;same configuration as the tests&gt;/net10.0/ConnectLinks.dll.</summary>
    public static string ServiceDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/Debug/net10.0/
        var dll = Path.Combine(RepositoryRoot(), "src", "ConnectLinks", "bin", configuration, "net10.0", "ConnectLinks.dll");
        File.Exists(dll).ShouldBeTrue($"Build the solution first: {dll} is missing.");
        return dll;
    }

    /// <summary>The folder holding ConnectLinks.slnx.</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConnectLinks.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    /// <summary>
    /// Runs a CLI command to completion with the in-process app's settings (keys like <c>ConnectLinks:DataDir</c>,
    /// passed as environment variables); returns exit code, stdout and stderr.
    /// </summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IDictionary<string, string?> settings, params string[] args)
    {
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Testing" };
        foreach (var (key, value) in settings) environment[key.Replace(":", "__")] = value ?? "";
        using var process = Process.Start(Start(environment, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Settings every test process gets: loopback webhooks allowed, short leases so a killed instance's work returns fast.</summary>
    public static Dictionary<string, string> BaseEnvironment() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Logging__LogLevel__Default"] = "Warning",
        ["ConnectLinks__Webhooks__AllowHttpLoopback"] = "true",
        ["ConnectLinks__Network__AllowPrivateTargets"] = "true",
        ["ConnectLinks__Webhooks__LeaseSeconds"] = "4",
        ["ConnectLinks__Webhooks__TimeoutSeconds"] = "2",
        ["ConnectLinks__Webhooks__PollIntervalSeconds"] = "0.2",
        ["ConnectLinks__RateLimits__ApiPermitsPerSecond"] = "100000",
        ["ConnectLinks__RateLimits__ApiBurst"] = "100000",
        // Production refuses to start without a master key for connection secrets.
        ["ConnectLinks__Encryption__Keys__test"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
    };

    /// <summary>Runs a CLI command (e.g. <c>keys create</c>) and returns its stdout.</summary>
    public static async Task<string> RunCliAsync(Dictionary<string, string> environment, params string[] args)
    {
        var start = Start(environment, args);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        process.ExitCode.ShouldBe(0, await stderr);
        return (await stdout).Trim();
    }

    /// <summary>Starts <c>serve</c> on a free port and waits for <c>/healthz</c>.</summary>
    public static async Task<ServiceProcess> StartAsync(Dictionary<string, string> environment, string dataDir)
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var service = new ServiceProcess(Process.Start(Start(environment, ["--urls", url, "--data-dir", dataDir]))!, url);
        using var probe = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                if ((await probe.GetAsync(url + "/healthz")).IsSuccessStatusCode) return service;
            }
            catch (HttpRequestException) { }
            if (service._process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException("The service did not start:\n" + service.Log);
            await Task.Delay(100);
        }
    }

    /// <summary>An API client for this instance.</summary>
    public HttpClient Client(string apiKey)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd or Kubernetes stops a service; returns the exit code once the process is gone.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        Kill(_process.Id, 15).ShouldBe(0);
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static ProcessStartInfo Start(Dictionary<string, string> environment, string[] args)
    {
        var dll = ServiceDll();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return start;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

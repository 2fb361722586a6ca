using System.Diagnostics;
using System.Net.Sockets;

namespace ConnectLinks.Tests.Infrastructure;

/// <summary>The built service run as a real process: for the CLI and for tests that kill or duplicate the server.</summary>
public static class ServiceProcess
{
    /// <summary>src/ConnectLinks/bin/&lt;configuration&gt;/net10.0/ConnectLinks.dll, built with the tests.</summary>
    public static string Dll
    {
        get
        {
            var testBin = AppContext.BaseDirectory; // …/tests/ConnectLinks.Tests/bin/<Configuration>/net10.0/
            var configuration = new DirectoryInfo(testBin).Parent!.Name;
            var dir = new DirectoryInfo(testBin);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ConnectLinks.slnx"))) dir = dir.Parent;
            var dll = Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Repository root not found."),
                "src", "ConnectLinks", "bin", configuration, "net10.0", "ConnectLinks.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first.", dll);
        }
    }

    /// <summary>Runs a CLI command to completion; returns exit code, stdout and stderr.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IDictionary<string, string?> settings, params string[] args)
    {
        using var process = Process.Start(StartInfo(settings, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Process start info with the app's settings passed as environment variables (ConnectLinks__…).</summary>
    public static ProcessStartInfo StartInfo(IDictionary<string, string?> settings, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__")] = value;
        return info;
    }

    /// <summary>A free TCP port on loopback.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

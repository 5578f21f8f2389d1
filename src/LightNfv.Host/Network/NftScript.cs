using System.Diagnostics;
using LightNfv.Core.Errors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;

namespace LightNfv.Host.Network;

/// <summary>Runs an nft(8) script inside a lab namespace: for tables made once (per lab or per change of a VNF's service), not per port.</summary>
public static class NftScript
{
    /// <summary>Whether nft is installed (the Debian package nftables; install.sh installs it).</summary>
    public static bool Available => File.Exists("/usr/sbin/nft") || File.Exists("/sbin/nft");

    /// <param name="what">What the script writes, for the errors ("the service table").</param>
    /// <param name="needs">Who needs nft, for the error when it is missing ("service addresses need").</param>
    public static void Apply(string labNamespace, string script, string what, string needs)
    {
        if (!Available)
        {
            throw new LightNfvException(ErrorKind.Host, $"{needs} nft (Debian package nftables); run ./install.sh or apt-get install nftables");
        }
        // nsenter --net only: the table goes into the lab's namespace, never the host's.
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { $"--net={NetNamespace.PathOf(labNamespace)}", "nft", "-f", "-" })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = HostProcess.Start(psi);
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            p.Kill();
            throw new LightNfvException(ErrorKind.Host, $"nft did not finish writing {what} within 10 s");
        }
        if (p.ExitCode != 0)
        {
            throw new LightNfvException(ErrorKind.Host, $"nft refused {what} (exit {p.ExitCode}): {stderr.GetAwaiter().GetResult().Trim()}");
        }
    }
}

using System.Diagnostics;
using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;

namespace LightNfv.Images.Initramfs;

/// <summary>
/// Stand-in shared objects for libraries a VNF links but only calls for an optional feature: same SONAME and symbol
/// versions, one do-nothing function per symbol the image actually imports from it, built with gcc. iperf3 links
/// libcrypto (4.7 MB, 1.9 MB gzipped: over half the initramfs) only for --rsa-* authentication, which a benchmark
/// VNF never uses; the stub is ~13 KB. A VNF not in <see cref="OptionalLibraries"/> keeps every real library.
/// </summary>
public static class LibraryStubs
{
    /// <summary>Program name to the libraries it uses only for features LightNFV's descriptors never turn on.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> OptionalLibraries = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["iperf3"] = ["libcrypto.so.3", "libssl.so.3"],
    };

    /// <summary>One imported symbol: name and version node (e.g. OPENSSL_3.0.0), or no version.</summary>
    public readonly record struct Import(string Name, string? Version);

    /// <summary>Parses `nm -D --undefined-only` lines ("                 U BIO_free@OPENSSL_3.0.0").</summary>
    public static IEnumerable<Import> ParseUndefined(string nmOutput)
    {
        foreach (var raw in nmOutput.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("U ", StringComparison.Ordinal) && !line.StartsWith("w ", StringComparison.Ordinal))
            {
                continue;
            }
            var symbol = line[2..].Trim();
            var at = symbol.IndexOf('@');
            yield return at < 0 ? new Import(symbol, null) : new Import(symbol[..at], symbol[(at + 1)..].TrimStart('@'));
        }
    }

    /// <summary>C source and version script for a stub exporting <paramref name="imports"/>.</summary>
    public static (string Source, string VersionScript) Generate(string soname, IReadOnlyCollection<Import> imports)
    {
        var source = new StringBuilder($"/* LightNFV stub for {soname}: every function returns 0. */\n");
        foreach (var i in imports.OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            source.Append("long ").Append(i.Name).Append("(void) { return 0; }\n");
        }
        // ld accepts either one anonymous node or named nodes only. Unversioned references bind to a default
        // version, so they join the first named node, which also hides everything else (gcc's helpers).
        var named = imports.Where(i => i.Version is not null).GroupBy(i => i.Version!).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var unversioned = imports.Where(i => i.Version is null).Select(i => i.Name).ToList();
        var script = new StringBuilder();
        if (named.Count == 0)
        {
            script.Append("{ global:").Append(string.Concat(unversioned.Order(StringComparer.Ordinal).Select(n => $" {n};"))).Append(" local: *; };\n");
        }
        for (var g = 0; g < named.Count; g++)
        {
            var names = named[g].Select(i => i.Name).Concat(g == 0 ? unversioned : []).Distinct().Order(StringComparer.Ordinal);
            script.Append(named[g].Key).Append(" { global:").Append(string.Concat(names.Select(n => $" {n};")))
                .Append(g == 0 ? " local: *;" : "").Append(" };\n");
        }
        return (source.ToString(), script.ToString());
    }

    /// <summary>
    /// Builds the stub for <paramref name="library"/> given the ELF files that import from it; returns its bytes.
    /// Only symbols the library really defines are stubbed, since several libraries share a version node name.
    /// </summary>
    public static byte[] Build(string library, IEnumerable<string> importers, string workDirectory)
    {
        var soname = Path.GetFileName(library);
        var defined = ParseDefined(Run("nm", ["-D", "--defined-only", library])).ToHashSet(StringComparer.Ordinal);
        var imports = importers.SelectMany(f => ParseUndefined(Run("nm", ["-D", "--undefined-only", f])))
            .Where(i => defined.Contains(i.Name)).Distinct().ToList();
        var (source, script) = Generate(soname, imports);
        Directory.CreateDirectory(workDirectory);
        var c = Path.Combine(workDirectory, soname + ".c");
        var map = Path.Combine(workDirectory, soname + ".map");
        var so = Path.Combine(workDirectory, soname);
        File.WriteAllText(c, source);
        File.WriteAllText(map, script);
        Run("gcc", ["-shared", "-fPIC", "-nostdlib", "-O2", "-s", $"-Wl,-soname,{soname}", $"-Wl,--version-script={map}", "-o", so, c]);
        return File.ReadAllBytes(so);
    }

    private static IEnumerable<string> ParseDefined(string nmOutput) =>
        nmOutput.Split('\n').Select(l => l.Trim().Split(' ')).Where(p => p.Length == 3).Select(p => p[2].Split('@')[0]);

    private static string Run(string program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using var p = HostProcess.Start(start);
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? stdout
                : throw new LightNfvException(ErrorKind.Host, $"{program} {string.Join(' ', args)} failed: {stderr.Result.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new LightNfvException(ErrorKind.Unavailable, $"'{program}' is needed to build library stubs for the tinyx image; apt-get install binutils gcc");
        }
    }
}

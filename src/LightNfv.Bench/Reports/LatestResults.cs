namespace LightNfv.Bench.Reports;

/// <summary>
/// Where the latest `lightnfv bench` run wrote its results, for the web console's benchmark page: the bench writes
/// wherever --out says (relative to its own working directory), so it leaves the absolute path in the state directory,
/// where the daemon of the same LIGHTNFV_STATE_DIR finds it. LIGHTNFV_BENCH_RESULTS overrides it (e.g. docs/results).
/// </summary>
public static class LatestResults
{
    public const string Variable = "LIGHTNFV_BENCH_RESULTS";
    public const string PointerFile = "bench-latest";

    /// <summary>Remembers <paramref name="directory"/> as the latest run's; a failure only costs the console its page.</summary>
    public static void Remember(string stateDirectory, string directory)
    {
        try
        {
            Directory.CreateDirectory(stateDirectory);
            File.WriteAllText(Path.Combine(stateDirectory, PointerFile), Path.GetFullPath(directory) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: the console will not find these results ({PointerFile} not written in {stateDirectory}: {e.Message})");
        }
    }

    /// <summary>The directory holding the latest results.json: the variable's, else the remembered one, else null.</summary>
    public static string? DirectoryOf(string stateDirectory)
    {
        if (System.Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }
        var pointer = Path.Combine(stateDirectory, PointerFile);
        return File.Exists(pointer) && File.ReadAllText(pointer).Trim() is { Length: > 0 } d ? d : null;
    }

    /// <summary>The latest report and where it was read, or why there is none (in words for the page).</summary>
    public static (BenchReport? Report, string Where) Read(string stateDirectory)
    {
        if (DirectoryOf(stateDirectory) is not { } dir)
        {
            return (null, $"no benchmark has been run with this state directory yet: run 'lightnfv bench --quick', or set {Variable} to a directory holding results.json");
        }
        var file = Path.Combine(dir, "results.json");
        try
        {
            return (ReportWriter.ReadJson(File.ReadAllText(file)), file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
        {
            return (null, $"{file} could not be read: {e.Message}");
        }
    }
}

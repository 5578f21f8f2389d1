namespace LightNfv.IntegrationTests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The repository root: the nearest directory above the test binaries holding LightNfv.slnx.</summary>
    public static string Root { get; } = Find();

    public static string Examples => Path.Combine(Root, "examples");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LightNfv.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"LightNfv.slnx not found above {AppContext.BaseDirectory}");
    }
}

namespace LightNfv.Host.Tests.Cgroups;

/// <summary>A temp directory standing in for cgroupfs: interface files are regular files the test pre-creates.</summary>
internal sealed class FakeCgroupTree : IDisposable
{
    public FakeCgroupTree(string? nameWithSpace = null)
    {
        Root = Path.Combine(Path.GetTempPath(), (nameWithSpace ?? "lightnfv-fakecg-") + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Dir(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Creates the directory (and parents) and writes the files given as name/content pairs.</summary>
    public string MakeDir(string relative, params (string Name, string Content)[] files)
    {
        var dir = Path.Combine(Root, relative);
        Directory.CreateDirectory(dir);
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), content);
        }
        return dir;
    }

    public void Write(string relativeFile, string content) => File.WriteAllText(Path.Combine(Root, relativeFile), content);

    public string Read(string relativeFile) => File.ReadAllText(Path.Combine(Root, relativeFile));

    public bool Exists(string relative) => Path.Exists(Path.Combine(Root, relative));

    /// <summary>A v2 root as the kernel shows it on a typical host.</summary>
    public string MakeV2Root(string relative = "v2", string controllers = "cpuset cpu io memory hugetlb pids") =>
        MakeDir(relative, ("cgroup.controllers", controllers), ("cgroup.subtree_control", ""), ("cgroup.procs", ""));

    /// <summary>One v1 hierarchy root per controller directory name.</summary>
    public string MakeV1Root(string relative) => MakeDir(relative, ("cgroup.procs", ""), ("tasks", ""));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using LightNfv.Core.Errors;
using LightNfv.Images.Paths;

namespace LightNfv.Images.Tests.Paths;

public sealed class HostTreeTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Resolve_records_every_symlink_crossed_and_keeps_absolute_links_inside_the_root()
    {
        Directory.CreateDirectory(_root.Combine("usr/lib/x86_64-linux-gnu"));
        Directory.CreateDirectory(_root.Combine("usr/lib64"));
        File.WriteAllText(_root.Combine("usr/lib/x86_64-linux-gnu/ld.so"), "x");
        File.CreateSymbolicLink(_root.Combine("lib"), "usr/lib");
        File.CreateSymbolicLink(_root.Combine("lib64"), "usr/lib64");
        File.CreateSymbolicLink(_root.Combine("usr/lib64/ld.so"), "/lib/x86_64-linux-gnu/ld.so");

        var resolved = new HostTree(_root.Path).Resolve("/lib64/ld.so")!;

        resolved.RealPath.ShouldBe("/usr/lib/x86_64-linux-gnu/ld.so");
        resolved.IsDirectory.ShouldBeFalse();
        resolved.Links.ShouldBe([
            new SymlinkHop("/lib64", "usr/lib64"),
            new SymlinkHop("/usr/lib64/ld.so", "/lib/x86_64-linux-gnu/ld.so"),
            new SymlinkHop("/lib", "usr/lib"),
        ]);
    }

    [Fact]
    public void Resolve_returns_null_for_missing_paths_and_files_used_as_directories()
    {
        File.WriteAllText(_root.Combine("file"), "x");
        var tree = new HostTree(_root.Path);

        tree.Resolve("/missing").ShouldBeNull();
        tree.Resolve("/file/child").ShouldBeNull();
    }

    [Fact]
    public void A_symlink_loop_is_an_error_not_a_hang()
    {
        File.CreateSymbolicLink(_root.Combine("a"), "b");
        File.CreateSymbolicLink(_root.Combine("b"), "a");

        Should.Throw<LightNfvException>(() => new HostTree(_root.Path).Resolve("/a")).Message.ShouldContain("symlink loop");
    }

    [Fact]
    public void Clean_folds_dot_dot_only_after_real_directories()
    {
        Directory.CreateDirectory(_root.Combine("usr/lib64"));
        Directory.CreateDirectory(_root.Combine("app/bin"));
        File.CreateSymbolicLink(_root.Combine("lib64"), "usr/lib64");
        var tree = new HostTree(_root.Path);

        tree.Clean("/app/bin/../lib/./x.so").ShouldBe("/app/lib/x.so");
        // Through the symlink, ".." climbs to /usr, so it must stay.
        tree.Clean("/lib64/../lib/x.so").ShouldBe("/lib64/../lib/x.so");
    }

    [Fact]
    public void Glob_matches_sorted_and_skips_dot_files()
    {
        Directory.CreateDirectory(_root.Combine("etc/conf.d"));
        foreach (var name in new[] { "b.conf", "a.conf", ".hidden.conf", "c.txt" })
        {
            File.WriteAllText(_root.Combine("etc/conf.d/" + name), "");
        }

        new HostTree(_root.Path).Glob("/etc/conf.d/*.conf").ShouldBe(["/etc/conf.d/a.conf", "/etc/conf.d/b.conf"]);
        new HostTree(_root.Path).Glob("/etc/conf.d/[ab].c?nf").ShouldBe(["/etc/conf.d/a.conf", "/etc/conf.d/b.conf"]);
    }
}

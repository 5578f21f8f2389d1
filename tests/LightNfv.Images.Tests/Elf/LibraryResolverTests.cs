using LightNfv.Core.Errors;
using LightNfv.Images.Elf;

namespace LightNfv.Images.Tests.Elf;

public sealed class LibraryResolverTests : IDisposable
{
    private const string Loader = "/lib64/ld-linux-x86-64.so.2";
    private readonly TempDirectory _root = new();

    public LibraryResolverTests()
    {
        // A merged-usr Debian layout in miniature: /lib64 and /lib are symlinks, the loader link is absolute.
        Directory.CreateDirectory(_root.Combine("usr/lib/x86_64-linux-gnu"));
        Directory.CreateDirectory(_root.Combine("usr/lib64"));
        File.CreateSymbolicLink(_root.Combine("lib"), "usr/lib");
        File.CreateSymbolicLink(_root.Combine("lib64"), "usr/lib64");
        FakeElf.Library("ld-linux-x86-64.so.2").WriteTo(_root.Combine("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
        File.CreateSymbolicLink(_root.Combine("usr/lib64/ld-linux-x86-64.so.2"), "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
        FakeElf.Library("libc.so.6", "ld-linux-x86-64.so.2").WriteTo(_root.Combine("usr/lib/x86_64-linux-gnu/libc.so.6"));
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Closure_starts_with_the_interpreter_and_follows_needed_breadth_first()
    {
        Write("/usr/lib/x86_64-linux-gnu/libb.so.1", FakeElf.Library("libb.so.1", "libc.so.6"));
        Write("/usr/lib/x86_64-linux-gnu/liba.so.1", FakeElf.Library("liba.so.1", "libb.so.1", "libc.so.6"));
        Write("/usr/bin/app", Executable("liba.so.1", "libc.so.6"));

        var closure = Resolver().Closure("/usr/bin/app");

        // libc needs ld-linux-x86-64.so.2, which is the interpreter already loaded (matched by SONAME): no second copy.
        closure.ShouldBe([
            Loader,
            "/lib/x86_64-linux-gnu/liba.so.1",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/x86_64-linux-gnu/libb.so.1",
        ]);
    }

    [Fact]
    public void Runpath_wins_over_rpath_which_is_then_ignored()
    {
        Write("/opt/r/libx.so", FakeElf.Library("libx.so", "libc.so.6"));
        Write("/opt/u/libx.so", FakeElf.Library("libx.so", "libc.so.6"));
        Write("/usr/bin/app", Executable("libx.so") with { RPath = "/opt/r", RunPath = "/opt/u" });

        Resolver().Closure("/usr/bin/app").ShouldContain("/opt/u/libx.so");
        Resolver().Closure("/usr/bin/app").ShouldNotContain("/opt/r/libx.so");
    }

    [Fact]
    public void Rpath_comes_before_ld_so_conf_and_default_directories()
    {
        Write("/opt/r/libx.so", FakeElf.Library("libx.so", "libc.so.6"));
        Write("/usr/lib/x86_64-linux-gnu/libx.so", FakeElf.Library("libx.so", "libc.so.6"));
        Write("/opt/conf/libx.so", FakeElf.Library("libx.so", "libc.so.6"));
        WriteText("/etc/ld.so.conf", "/opt/conf\n");
        Write("/usr/bin/app", Executable("libx.so") with { RPath = "/opt/r" });

        Resolver().Closure("/usr/bin/app").ShouldContain("/opt/r/libx.so");
    }

    [Fact]
    public void The_executables_rpath_is_inherited_by_libraries_without_runpath_but_runpath_is_not()
    {
        Write("/opt/r/liby.so", FakeElf.Library("liby.so", "libc.so.6"));
        Write("/opt/u/libz.so", FakeElf.Library("libz.so", "libc.so.6"));
        Write("/usr/lib/x86_64-linux-gnu/libx.so", FakeElf.Library("libx.so", "liby.so"));
        Write("/usr/bin/app", Executable("libx.so") with { RPath = "/opt/r" });

        // libx has no RUNPATH, so the executable's RPATH applies to its needs.
        Resolver().Closure("/usr/bin/app").ShouldContain("/opt/r/liby.so");

        Write("/usr/lib/x86_64-linux-gnu/libw.so", FakeElf.Library("libw.so", "libz.so"));
        Write("/usr/bin/app2", Executable("libw.so") with { RunPath = "/opt/u" });

        // RUNPATH only serves the object's own DT_NEEDED, so libw cannot find libz through app2's RUNPATH.
        var error = Should.Throw<LightNfvException>(() => Resolver().Closure("/usr/bin/app2"));
        error.Kind.ShouldBe(ErrorKind.NotFound);
        error.Message.ShouldContain("'libz.so'");
        error.Message.ShouldContain("'/lib/x86_64-linux-gnu/libw.so'");
    }

    [Fact]
    public void Origin_is_the_directory_of_the_requesting_object()
    {
        Write("/app/lib/liba.so", FakeElf.Library("liba.so", "libc.so.6") with { RunPath = "$ORIGIN/plugins" });
        Write("/app/lib/plugins/libp.so", FakeElf.Library("libp.so", "libc.so.6"));
        Write("/app/bin/tool", Executable("liba.so", "libp.so") with { RunPath = "${ORIGIN}/../lib:$ORIGIN/../lib/plugins" });
        // The executable is reached through a symlink: $ORIGIN is still where the real file lives.
        Directory.CreateDirectory(_root.Combine("usr/local/bin"));
        File.CreateSymbolicLink(_root.Combine("usr/local/bin/tool"), "/app/bin/tool");

        var closure = Resolver().Closure("/usr/local/bin/tool");

        closure.ShouldContain("/app/lib/liba.so");
        closure.ShouldContain("/app/lib/plugins/libp.so");
    }

    [Fact]
    public void Ld_so_conf_includes_are_globbed_in_order_before_the_defaults()
    {
        WriteText("/etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n");
        WriteText("/etc/ld.so.conf.d/b.conf", "/opt/second\n");
        WriteText("/etc/ld.so.conf.d/a.conf", "/opt/first/   # trailing slash and comment\n");
        WriteText("/etc/ld.so.conf.d/ignored.txt", "/opt/never\n");
        Write("/opt/second/libq.so", FakeElf.Library("libq.so", "libc.so.6"));
        Write("/opt/first/libq.so", FakeElf.Library("libq.so", "libc.so.6"));
        Write("/usr/lib/x86_64-linux-gnu/libq.so", FakeElf.Library("libq.so", "libc.so.6"));
        Write("/usr/bin/app", Executable("libq.so"));

        var resolver = Resolver();

        resolver.ConfiguredDirectories.ShouldBe(["/opt/first", "/opt/second"]);
        resolver.Closure("/usr/bin/app").ShouldContain("/opt/first/libq.so");
    }

    [Fact]
    public void Relative_includes_are_taken_from_the_including_files_directory()
    {
        WriteText("/etc/ld.so.conf", "include ld.so.conf.d/*.conf\n");
        WriteText("/etc/ld.so.conf.d/x.conf", "/opt/x\n");

        Resolver().ConfiguredDirectories.ShouldBe(["/opt/x"]);
    }

    [Fact]
    public void The_ld_so_conf_path_is_injectable()
    {
        WriteText("/custom/loader.conf", "/opt/custom\n");
        Write("/opt/custom/libq.so", FakeElf.Library("libq.so", "libc.so.6"));
        Write("/usr/bin/app", Executable("libq.so"));

        new LibraryResolver(_root.Path, "/custom/loader.conf").Closure("/usr/bin/app").ShouldContain("/opt/custom/libq.so");
    }

    [Fact]
    public void A_library_for_another_machine_is_skipped()
    {
        WriteText("/etc/ld.so.conf", "/opt/arm\n");
        Write("/opt/arm/libq.so", FakeElf.Library("libq.so") with { Machine = (ushort)ElfMachine.AArch64 });
        Write("/usr/lib/x86_64-linux-gnu/libq.so", FakeElf.Library("libq.so", "libc.so.6"));
        Write("/usr/bin/app", Executable("libq.so"));

        var closure = Resolver().Closure("/usr/bin/app");

        closure.ShouldContain("/lib/x86_64-linux-gnu/libq.so");
        closure.ShouldNotContain("/opt/arm/libq.so");
    }

    [Fact]
    public void Aarch64_binaries_search_the_aarch64_multiarch_directories()
    {
        Write("/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", FakeElf.Library("ld-linux-aarch64.so.1") with { Machine = (ushort)ElfMachine.AArch64 });
        Write("/usr/lib/aarch64-linux-gnu/libc.so.6", FakeElf.Library("libc.so.6") with { Machine = (ushort)ElfMachine.AArch64 });
        Write("/usr/bin/armapp", new FakeElf
        {
            Machine = (ushort)ElfMachine.AArch64,
            Interpreter = "/lib/ld-linux-aarch64.so.1",
            Needed = ["libc.so.6"],
        });
        Directory.CreateDirectory(_root.Combine("usr/lib/aarch64-linux-gnu"));
        File.Move(_root.Combine("usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"), _root.Combine("usr/lib/ld-linux-aarch64.so.1"));

        Resolver().Closure("/usr/bin/armapp").ShouldBe(["/lib/ld-linux-aarch64.so.1", "/lib/aarch64-linux-gnu/libc.so.6"]);
    }

    [Fact]
    public void A_missing_library_names_the_library_and_who_needs_it()
    {
        Write("/usr/bin/app", Executable("libmissing.so.7"));

        var error = Should.Throw<LightNfvException>(() => Resolver().Closure("/usr/bin/app"));

        error.Kind.ShouldBe(ErrorKind.NotFound);
        error.Message.ShouldContain("'libmissing.so.7'");
        error.Message.ShouldContain("'/usr/bin/app'");
        error.Message.ShouldContain("/usr/lib/x86_64-linux-gnu");
    }

    [Fact]
    public void A_static_executable_has_an_empty_closure()
    {
        Write("/usr/bin/static", new FakeElf { Dynamic = false });

        Resolver().Closure("/usr/bin/static").ShouldBeEmpty();
    }

    [Fact]
    public void Absolute_symlinks_resolve_inside_the_tree_not_on_the_host()
    {
        // The loader path crosses /lib64 -> usr/lib64 and an absolute link; both must stay under the fake root.
        Write("/usr/bin/app", Executable("libc.so.6"));

        var resolver = Resolver();

        resolver.Closure("/usr/bin/app")[0].ShouldBe(Loader);
        resolver.Tree.Resolve(Loader)!.RealPath.ShouldBe("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    }

    [Fact]
    public void Expand_substitutes_origin_lib_and_platform_and_drops_relative_entries()
    {
        LibraryResolver.Expand("$ORIGIN/a:${ORIGIN}/b::relative:/x/$LIB:/y/${PLATFORM}:/z/$UNKNOWN", "/o", ElfMachine.X86_64)
            .ShouldBe(["/o/a", "/o/b", "/x/lib/x86_64-linux-gnu", "/y/x86_64"]);
    }

    private LibraryResolver Resolver() => new(_root.Path);

    private static FakeElf Executable(params string[] needed) => new() { Interpreter = Loader, Needed = needed };

    private void Write(string path, FakeElf elf) => elf.WriteTo(_root.Combine(path));

    private void WriteText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_root.Combine(path))!);
        File.WriteAllText(_root.Combine(path), text);
    }
}

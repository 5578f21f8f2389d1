using System.Text.RegularExpressions;

namespace LightNfv.Host.Tests.Native;

/// <summary>Every P/Invoke lives in src/LightNfv.Host/Native (Libc.cs), so one file shows all the platform asks of the kernel.</summary>
public sealed partial class NativeCallsTests
{
    [GeneratedRegex(@"\[\s*(?:assembly\s*:\s*)?(?:System\.Runtime\.InteropServices\.)?(?:LibraryImport|DllImport)(?:Attribute)?\s*\(")]
    private static partial Regex NativeImport();

    [Fact]
    public void No_library_import_outside_Host_Native()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "LightNfv.slnx")))
        {
            root = root.Parent;
        }
        Assert.SkipWhen(root is null, "the sources are not above the test binaries");
        var src = Path.Combine(root!.FullName, "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(f => (Rel: Path.GetRelativePath(src, f).Replace('\\', '/'), Text: File.ReadAllText(f)))
            .ToList();

        // The scan must see the imports it polices, or an empty match proves nothing.
        files.ShouldContain(f => f.Rel == "LightNfv.Host/Native/Libc.cs" && NativeImport().IsMatch(f.Text));
        files.Where(f => !f.Rel.StartsWith("LightNfv.Host/Native/", StringComparison.Ordinal) && NativeImport().IsMatch(f.Text))
            .Select(f => f.Rel)
            .ShouldBeEmpty("declare the call in src/LightNfv.Host/Native/Libc.cs and wrap it beside the feature that needs it");
    }

    [Theory]
    [InlineData("    [LibraryImport(\"libc\", SetLastError = true)]")]
    [InlineData("    [System.Runtime.InteropServices.LibraryImport(\"libc\")]")]
    [InlineData("    [DllImport(\"libc\")]")]
    [InlineData("    [DllImportAttribute(\"libc\")]")]
    public void The_scan_recognises_each_spelling_of_an_import(string line) => NativeImport().IsMatch(line).ShouldBeTrue();

    [Fact]
    public void The_scan_ignores_prose_about_imports() =>
        NativeImport().IsMatch("/// <summary>Every [LibraryImport] is in Libc.cs</summary>").ShouldBeFalse();
}

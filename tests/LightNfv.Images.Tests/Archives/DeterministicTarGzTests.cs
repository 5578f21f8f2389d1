using System.Formats.Tar;
using System.IO.Compression;
using LightNfv.Images.Archives;

namespace LightNfv.Images.Tests.Archives;

public sealed class DeterministicTarGzTests
{
    [Fact]
    public void Same_items_give_identical_bytes_whatever_the_source_files_times_and_the_input_order()
    {
        using var dir = new TempDirectory();
        var longName = "/opt/" + new string('d', 120) + "/file";
        var longTarget = "/" + new string('t', 150);
        var source = dir.Combine("source");
        File.WriteAllText(source, "payload");
        var items = new List<TarItem>
        {
            new("/usr", TarItemKind.Directory, (UnixFileMode)0b111_101_101),
            new("/usr/bin/tool", TarItemKind.File, (UnixFileMode)0b111_101_101, SourceFile: source),
            new("/lib", TarItemKind.Symlink, (UnixFileMode)0b111_111_111, LinkTarget: "usr/lib"),
            new(longName, TarItemKind.File, (UnixFileMode)0b110_100_100, SourceFile: source),
            new("/long-link", TarItemKind.Symlink, (UnixFileMode)0b111_111_111, LinkTarget: longTarget),
        };

        DeterministicTarGz.Write(items, dir.Combine("a.tar.gz"));
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddDays(-3));
        items.Reverse();
        DeterministicTarGz.Write(items, dir.Combine("b.tar.gz"));

        File.ReadAllBytes(dir.Combine("a.tar.gz")).ShouldBe(File.ReadAllBytes(dir.Combine("b.tar.gz")));

        var entries = Read(dir.Combine("a.tar.gz"));
        entries.Select(e => e.Name).ShouldBe(["lib", "long-link", longName[1..], "usr/", "usr/bin/tool"]);
        entries.ShouldAllBe(e => e.ModificationTime == DateTimeOffset.UnixEpoch && e.Uid == 0 && e.Gid == 0);
        entries.Single(e => e.Name == "long-link").LinkName.ShouldBe(longTarget);
        entries.Single(e => e.Name == "usr/bin/tool").Mode.ShouldBe((UnixFileMode)0b111_101_101);
    }

    internal static List<TarEntry> Read(string tarGz)
    {
        using var file = File.OpenRead(tarGz);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        var entries = new List<TarEntry>();
        while (reader.GetNextEntry() is { } entry)
        {
            entries.Add(entry);
        }
        return entries;
    }
}

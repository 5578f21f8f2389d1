using System.Globalization;
using System.IO.Compression;
using LightNfv.Images.Elf;
using LightNfv.Images.Rootfs;

namespace LightNfv.Images.Initramfs;

/// <summary>A tinyx guest's root: a gzip-compressed cpio (newc) initramfs.</summary>
/// <param name="StubbedLibraries">Libraries replaced by <see cref="LibraryStubs"/>, by image path.</param>
public sealed record TinyxImage(string InitramfsPath, long Bytes, long CpioBytes, string RootfsDigest, IReadOnlyList<string> StubbedLibraries);

/// <summary>
/// Turns the VNF's root filesystem (the one the container backends run, built by <see cref="RootfsBuilder"/> with
/// lnfv-init added) into an initramfs: every directory, file and symlink of the tree, /init, the device nodes the
/// kernel and glibc need before any devtmpfs, optional libraries stubbed (<see cref="LibraryStubs"/>), no shell.
/// Cached beside the rootfs it came from (the rootfs digest covers every input but the stubs, which derive from it).
/// </summary>
public sealed class TinyxImageBuilder(RootfsBuilder rootfs, string? initPath = null)
{
    // Bump when the layout changes so stale initramfs files are not reused.
    private const string FileName = "initramfs-v1.cpio.gz";
    private const UnixFileMode Dir0755 = (UnixFileMode)0b111_101_101;

    /// <summary>lnfv-init beside the assemblies (built from guest/init by the Images project).</summary>
    public static string DefaultInitPath => Path.Combine(AppContext.BaseDirectory, "lnfv-init");

    public string InitPath { get; } = initPath ?? DefaultInitPath;

    public TinyxImage Build(IReadOnlyList<string> argv, IReadOnlyList<string> files)
    {
        var program = VnfImages.ResolveProgram(argv[0]);
        var request = VnfImages.ForArgv([program, .. argv.Skip(1)], files);
        // The init's own library closure (glibc) comes in through the same planner as the VNF's.
        var image = rootfs.Build(request with { Executables = [.. request.Executables, InitPath] });
        var target = Path.Combine(Path.GetDirectoryName(image.RootfsDirectory)!, FileName);
        var initImagePath = image.Files.FirstOrDefault(f => Path.GetFileName(f) == Path.GetFileName(InitPath) && f.EndsWith(Path.GetFileName(InitPath), StringComparison.Ordinal));
        var stubbable = LibraryStubs.OptionalLibraries.GetValueOrDefault(Path.GetFileName(program)) ?? [];
        var stubbed = image.Files.Where(f => stubbable.Contains(Path.GetFileName(f)) && new FileInfo(image.RootfsDirectory + f).LinkTarget is null).ToList();
        if (File.Exists(target))
        {
            return new TinyxImage(target, new FileInfo(target).Length, -1, image.Digest, stubbed);
        }

        var work = Path.Combine(Path.GetDirectoryName(image.RootfsDirectory)!, $".tmp-stubs-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        var temporary = target + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            var elves = image.Files.Select(f => image.RootfsDirectory + f)
                .Where(p => new FileInfo(p).LinkTarget is null && ElfFile.IsElf64LittleEndian(p)).ToList();
            var replacements = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var library in stubbed)
            {
                var host = image.RootfsDirectory + library;
                replacements[library] = LibraryStubs.Build(host, elves.Where(e => e != host), work);
            }
            long cpioBytes;
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize, leaveOpen: true))
                {
                    var cpio = new CpioNewcWriter(gzip);
                    WriteTree(cpio, image.RootfsDirectory, "", initImagePath, replacements);
                    foreach (var dir in new[] { "/dev", "/proc", "/tmp", "/sys" })
                    {
                        if (!Directory.Exists(image.RootfsDirectory + dir))
                        {
                            cpio.Directory(dir, dir == "/tmp" ? (UnixFileMode)0b1_111_111_111 : Dir0755);
                        }
                    }
                    cpio.CharDevice("/dev/console", (UnixFileMode)0b110_000_000, 5, 1);
                    cpio.CharDevice("/dev/null", (UnixFileMode)0b110_110_110, 1, 3);
                    cpio.CharDevice("/dev/zero", (UnixFileMode)0b110_110_110, 1, 5);
                    cpio.CharDevice("/dev/random", (UnixFileMode)0b110_110_110, 1, 8);
                    cpio.CharDevice("/dev/urandom", (UnixFileMode)0b110_110_110, 1, 9);
                    if (initImagePath is not null)
                    {
                        cpio.File("/init", (UnixFileMode)0b111_101_101, File.ReadAllBytes(image.RootfsDirectory + initImagePath));
                    }
                    cpio.Trailer();
                    cpioBytes = cpio.Length;
                }
                file.Flush();
            }
            File.Move(temporary, target, overwrite: true);
            return new TinyxImage(target, new FileInfo(target).Length, cpioBytes, image.Digest, stubbed);
        }
        finally
        {
            File.Delete(temporary);
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>Members in sorted order, parents first; the init's deep build path is left out (it becomes /init).</summary>
    private static void WriteTree(CpioNewcWriter cpio, string root, string relative, string? skip, IReadOnlyDictionary<string, byte[]> replacements)
    {
        foreach (var entry in new DirectoryInfo(root + relative).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var path = relative + "/" + entry.Name;
            if (path == skip)
            {
                continue;
            }
            var mode = Paths.FileModes.Get(entry.FullName);
            if (entry.LinkTarget is { } link)
            {
                cpio.Symlink(path, link);
            }
            else if (entry is DirectoryInfo)
            {
                cpio.Directory(path, mode);
                WriteTree(cpio, root, path, skip, replacements);
            }
            else
            {
                cpio.File(path, mode, replacements.TryGetValue(path, out var stub) ? stub : File.ReadAllBytes(entry.FullName));
            }
        }
    }
}

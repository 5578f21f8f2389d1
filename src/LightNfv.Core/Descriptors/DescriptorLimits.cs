using System.Text;
using LightNfv.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace LightNfv.Core.Descriptors;

/// <summary>
/// Bounds on descriptor input: a byte size checked before parsing, a nesting depth and no aliases checked on the
/// parser's events as the loader reads them (the parser is iterative, the loader recurses once per level, so 100,000
/// levels are refused at the 33rd instead of overflowing the stack), and the kernel's execve limits for the VNF's
/// argv and environment.
/// </summary>
public static class DescriptorLimits
{
    /// <summary>
    /// 256 KiB. A real descriptor is well under 2 KiB (the examples are 300-900 bytes); this leaves room for long
    /// inline scripts while keeping a stored version, its parse and the daemon's copy of it small. Past it the
    /// YAML is refused before it is parsed.
    /// </summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>
    /// 32 levels of mappings and sequences. The deepest valid field is four levels down (spec.app.env.NAME);
    /// a loaded tree is walked recursively, and 32 levels is far from what a thread's stack can hold.
    /// </summary>
    public const int MaxDepth = 32;

    /// <summary>The kernel's MAX_ARG_STRLEN: one argv or environment string, its NUL included, is at most 32 pages.</summary>
    public const int MaxArgStringBytes = 32 * 4096;

    /// <summary>
    /// The argv + environment total execve may take, counted as the kernel does (each string's bytes and its NUL,
    /// plus one pointer per string). Linux allows a quarter of the stack limit (2 MiB with the usual 8 MiB); 1 MiB
    /// is a fixed, host-independent bound (a descriptor must start on every host and inside every guest) that
    /// leaves the other half for what backends and guest inits add, and holds down to a 4 MiB stack limit.
    /// </summary>
    public const int MaxArgBytes = 1024 * 1024;

    private const string Document = "(document)";

    /// <summary>Refuses text over <see cref="MaxBytes"/> (UTF-8), with the size and the limit.</summary>
    public static void CheckSize(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        // Cheap bound first: UTF-8 takes at least one byte per char, at most three per UTF-16 unit.
        if (yaml.Length > MaxBytes || (yaml.Length * 3L > MaxBytes && Encoding.UTF8.GetByteCount(yaml) > MaxBytes))
        {
            throw TooLarge(Encoding.UTF8.GetByteCount(yaml).ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes");
        }
    }

    /// <summary>The error for input over <see cref="MaxBytes"/>; <paramref name="size"/> says how big it is (e.g. "10485760 bytes").</summary>
    public static DescriptorException TooLarge(string size) =>
        new(Document, $"the descriptor is {size}, over the limit of {MaxBytes} bytes (256 KiB); a descriptor describes one VNF in a few KB: keep large data in files the VNF reads (spec.app.files)",
            kind: ErrorKind.TooLarge);

    /// <summary>
    /// Reads a descriptor file, refusing one over <see cref="MaxBytes"/> without reading the rest (a pipe or
    /// /dev/stdin included, whose length is unknown beforehand).
    /// </summary>
    public static string ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new LightNfvException(ErrorKind.NotFound, $"descriptor file '{path}' not found");
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            var buffer = new byte[MaxBytes + 1];
            var total = 0;
            int n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += n;
            }
            if (total > MaxBytes)
            {
                var size = stream.CanSeek ? $"{stream.Length} bytes" : $"more than {MaxBytes} bytes";
                throw new DescriptorException(Document, $"descriptor file '{path}' is {size}, over the limit of {MaxBytes} bytes (256 KiB); a descriptor describes one VNF in a few KB: keep large data in files the VNF reads (spec.app.files)",
                    kind: ErrorKind.TooLarge);
            }
            // As File.ReadAllText: a byte order mark is honoured and dropped.
            using var reader = new StreamReader(new MemoryStream(buffer, 0, total), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNfvException(ErrorKind.Host, $"descriptor file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// A parser for the loader that refuses nesting deeper than <see cref="MaxDepth"/> and aliases (a descriptor needs
    /// none, and they let a small text expand into a large or cyclic tree) as the events come. The loader recurses once
    /// per level of nesting, so it stops at <see cref="MaxDepth"/> levels, whatever the text holds; the parser itself
    /// keeps its state on the heap and never recurses.
    /// </summary>
    public static IParser Guard(IParser parser) => new GuardedParser(parser);

    private sealed class GuardedParser(IParser inner) : IParser
    {
        private int _depth;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (!inner.MoveNext())
            {
                return false;
            }
            switch (inner.Current)
            {
                case MappingStart or SequenceStart:
                    if (++_depth > MaxDepth)
                    {
                        var at = inner.Current.Start;
                        throw new DescriptorException(Document,
                            $"nested more than {MaxDepth} levels deep (the nesting limit); a descriptor needs at most 4 (spec.app.env.NAME): remove the extra levels of [ ] / {{ }} or indentation",
                            (int)at.Line, (int)at.Column);
                    }
                    break;
                case MappingEnd or SequenceEnd:
                    _depth--;
                    break;
                case AnchorAlias alias:
                    throw new DescriptorException(Document,
                        $"'*{alias.Value}' is an alias; descriptors do not support YAML anchors and aliases (&name, *name): write the value out",
                        (int)alias.Start.Line, (int)alias.Start.Column);
            }
            return true;
        }
    }

    /// <summary>
    /// Refuses a VNF whose argv and environment the kernel would refuse at exec (E2BIG): one string over
    /// <see cref="MaxArgStringBytes"/>, or all of them over <see cref="MaxArgBytes"/>. Counted as execve does:
    /// each string's UTF-8 bytes plus its NUL (an environment entry as NAME=value), plus one 8-byte pointer each.
    /// </summary>
    internal static void CheckExec(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, Func<string, (int Line, int Column)> where)
    {
        long total = 0;
        for (var i = 0; i < argv.Count; i++)
        {
            total += Count(Encoding.UTF8.GetByteCount(argv[i]) + 1, $"spec.app.command[{i}]", where);
        }
        foreach (var (name, value) in env)
        {
            total += Count(Encoding.UTF8.GetByteCount(name) + 1 + Encoding.UTF8.GetByteCount(value) + 1, $"spec.app.env.{name}", where);
        }
        total += 8L * (argv.Count + env.Count);
        if (total > MaxArgBytes)
        {
            var field = env.Count > 0 ? "spec.app.env" : "spec.app.command";
            var (line, column) = where(field);
            throw new DescriptorException(field,
                $"the command and environment together take {total} bytes as execve counts them (each string and its NUL, plus a pointer each), over the limit of {MaxArgBytes} bytes (1 MiB); the kernel would refuse to start the VNF (E2BIG): pass large data in a file (spec.app.files) instead",
                line, column);
        }
    }

    private static int Count(int bytes, string field, Func<string, (int Line, int Column)> where)
    {
        if (bytes > MaxArgStringBytes)
        {
            var (line, column) = where(field);
            throw new DescriptorException(field,
                $"{(field.StartsWith("spec.app.env.", StringComparison.Ordinal) ? "the environment entry NAME=value" : "the argument")} is {bytes} bytes with its NUL, over the kernel's limit of {MaxArgStringBytes} bytes for one argument or environment string (MAX_ARG_STRLEN, 128 KiB); the VNF could not start: pass large data in a file (spec.app.files) instead",
                line, column);
        }
        return bytes;
    }
}

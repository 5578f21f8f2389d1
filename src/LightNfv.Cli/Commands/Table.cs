namespace LightNfv.Cli.Commands;

/// <summary>Left-aligned columns, two spaces apart, like docker ps: easy to read and to cut.</summary>
public static class Table
{
    public static void Write(TextWriter w, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Count).Select(i => all.Max(r => r[i].Length)).ToArray();
        foreach (var r in all)
        {
            w.WriteLine(string.Join("  ", r.Select((c, i) => i == r.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        }
    }
}

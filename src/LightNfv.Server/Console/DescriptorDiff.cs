using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace LightNfv.Server.Console;

/// <summary>One line of a descriptor diff: its text with a +, - or space in front, and a CSS class.</summary>
public sealed record DiffLine(string Kind, string Text);

/// <summary>What changed between two descriptor versions, line by line (DiffPlex), as `diff -u` marks it.</summary>
public static class DescriptorDiff
{
    public static IReadOnlyList<DiffLine> Lines(string before, string after) =>
        // Without the final newline, which would read as one more (empty) line.
        InlineDiffBuilder.Diff(before.TrimEnd('\n'), after.TrimEnd('\n'), ignoreWhiteSpace: false).Lines.Select(l => l.Type switch
        {
            ChangeType.Inserted => new DiffLine("added", "+ " + l.Text),
            ChangeType.Deleted => new DiffLine("removed", "- " + l.Text),
            _ => new DiffLine("same", "  " + l.Text),
        }).ToList();
}

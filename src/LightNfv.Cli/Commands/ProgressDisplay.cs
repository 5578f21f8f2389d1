using LightNfv.Bench;
using Spectre.Console;

namespace LightNfv.Cli.Commands;

/// <summary>
/// Shows a long bench run's progress on standard error: on a terminal wide enough for a bar, one live bar per phase
/// with the latest sample and an estimate of the time left; otherwise (a narrow terminal, a pipe, a file, CI,
/// TERM=dumb) one short line per phase change and per other message, cut to the width, so nothing collapses to a lone
/// "…". Standard output carries only the results in both cases.
/// </summary>
public static class ProgressDisplay
{
    /// <summary>Below this many columns the bar's columns leave no room for the description (Spectre shows "…").</summary>
    public const int MinLiveWidth = 100;

    /// <summary>True when standard error is an interactive terminal that can redraw and is wide enough for the bars.</summary>
    public static bool IsLive(IAnsiConsole console) =>
        !Console.IsErrorRedirected
        && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal)
        && Environment.GetEnvironmentVariable("CI") is null
        && console.Profile.Capabilities.Interactive
        && Width(console) >= MinLiveWidth;

    /// <summary>The terminal's width: $COLUMNS when set (what a user narrows to test), else what Spectre detects, else 80.</summary>
    public static int Width(IAnsiConsole? console = null)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0)
        {
            return columns;
        }
        return console?.Profile.Width is > 0 and var w ? w : 80;
    }

    /// <summary>
    /// Runs <paramref name="work"/>, wiring the source's events: <paramref name="subscribe"/> receives the line sink and
    /// the step sink to attach to the experiment's events.
    /// </summary>
    public static T Run<T>(Action<Action<string>, Action<BenchStep>> subscribe, Func<T> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!IsLive(console))
        {
            var width = Console.IsErrorRedirected ? int.MaxValue : Width(console);
            string? phase = null, lastStep = null;
            subscribe(
                line =>
                {
                    if (!string.Equals(line, lastStep, StringComparison.Ordinal))
                    {
                        Console.Error.WriteLine(width == int.MaxValue ? line : Shorten(line, Math.Max(20, width - 1)));
                    }
                },
                step =>
                {
                    lastStep = step.Line;
                    if (step.PlainLine(phase, width == int.MaxValue ? 200 : width) is { } text)
                    {
                        Console.Error.WriteLine(text);
                    }
                    phase = step.Phase;
                });
            return work();
        }
        var result = default(T)!;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                string? lastStep = null;
                // The description gets what the bar, percentage, time and spinner columns leave.
                var room = Math.Max(20, Width(console) - 60);
                // A step's line is shown in its bar (steps are raised before their line); other lines (a skipped
                // technology, cleanup, an early stop) are printed above the bars and stay.
                subscribe(
                    line =>
                    {
                        if (!string.Equals(line, lastStep, StringComparison.Ordinal))
                        {
                            console.MarkupLine(Markup.Escape(line));
                        }
                    },
                    step =>
                    {
                        lastStep = step.Line;
                        if (!tasks.TryGetValue(step.Phase, out var task))
                        {
                            task = tasks[step.Phase] = ctx.AddTask(step.Phase, maxValue: Math.Max(1, step.Total));
                        }
                        task.MaxValue = Math.Max(1, step.Total);
                        task.Value = step.Done;
                        task.Description = Markup.Escape(Shorten($"{step.Phase,-13} {step.Line}", room));
                    });
                result = work();
                foreach (var task in tasks.Values)
                {
                    task.Value = task.MaxValue;
                }
            });
        return result;
    }

    private static string Shorten(string line, int max) => line.Length <= max ? line : line[..(max - 1)] + "…";
}

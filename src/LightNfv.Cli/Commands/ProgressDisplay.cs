using LightNfv.Bench;
using Spectre.Console;

namespace LightNfv.Cli.Commands;

/// <summary>
/// Shows a long bench run's progress on standard error: on a terminal, one live bar per phase with the latest sample
/// and an estimate of the time left; otherwise (a pipe, a file, CI, TERM=dumb) one plain line per sample, so logs stay
/// readable. Standard output carries only the results table in both cases.
/// </summary>
public static class ProgressDisplay
{
    /// <summary>True when standard error is an interactive terminal that can redraw.</summary>
    public static bool IsLive(IAnsiConsole console) =>
        !Console.IsErrorRedirected
        && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal)
        && Environment.GetEnvironmentVariable("CI") is null
        && console.Profile.Capabilities.Interactive;

    /// <summary>
    /// Runs <paramref name="work"/>, wiring the source's events: <paramref name="subscribe"/> receives the line sink and
    /// the step sink to attach to the experiment's events.
    /// </summary>
    public static T Run<T>(Action<Action<string>, Action<BenchStep>> subscribe, Func<T> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (!IsLive(console))
        {
            subscribe(line => Console.Error.WriteLine(line), _ => { });
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
                        task.Description = Markup.Escape($"{step.Phase,-13} {Shorten(step.Line, 70)}");
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

using System.CommandLine;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>The `lightnfv` command tree. Commands only parse and print; the platform does the work.</summary>
public static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("LightNFV: run one network function on any lightweight virtualization technology, and measure them side by side.")
        {
            RunCommand.Create(),
            PsCommand.Create(),
            InspectCommand.Create(),
            LogsCommand.Create(),
            StopCommand.Create(),
            StartCommand.Create(),
            RmCommand.Create(),
            DownCommand.Create(),
            BenchCommand.Create(),
            ProbeCommand.Create(),
            ServeCommand.Create(),
            VnfCommand.Create(),
            TopCommand.Create(),
            ImageCommand.Create(),
        };
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    /// <summary>Runs a command body with the platform, mapping errors to a message and an exit code per kind.</summary>
    public static async Task<int> Guard(Func<PlatformContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            using var ctx = PlatformContext.Open();
            return await body(ctx, cancellationToken).ConfigureAwait(false);
        }
        catch (LightNfvException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCode(e.Kind);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted; what was being created has been removed");
            return 130;
        }
    }

    public static int ExitCode(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => 2,
        ErrorKind.NotFound => 3,
        ErrorKind.Conflict => 4,
        ErrorKind.State => 5,
        ErrorKind.Unavailable => 6,
        ErrorKind.Exhausted => 7,
        _ => 1,
    };
}

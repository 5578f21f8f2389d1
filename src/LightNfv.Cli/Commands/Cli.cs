using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using LightNfv.Core.Configuration;
using LightNfv.Core.Errors;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

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
            VersionCommand.Create(),
            CompletionCommand.Create(),
            RestartCommand.Create(),
            WaitCommand.Create(),
            ExecCommand.Create(),
            EventsCommand.Create(),
            GetCommand.Create(),
            DescribeCommand.Create(),
            ApplyCommand.Create(),
            TenantCommand.Create(),
            AuditCommand.Create(),
            TokenCommand.Create(),
            QuarantineCommand.Create(),
            ReleaseCommand.Create(),
            ResizeCommand.Create(),
            TenantOption.Option,
            TokenOption.Option,
        };
        RejectOptionLikeValues(root);
        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            // Usage errors exit 2 like any other bad input (System.CommandLine's own answer is 1).
            // One line: the most telling error (an unknown word before the missing command it caused), in the project's words, and where the usage is.
            var command = string.Join(' ', parsed.CommandResult.Command is RootCommand ? ["lightnfv"] : ["lightnfv", .. CommandPath(parsed.CommandResult)]);
            Console.Error.WriteLine($"error: {UsageMessage(parsed.Errors.Select(e => e.Message).OrderBy(m => m.StartsWith("Required command", StringComparison.Ordinal)).First())}; run '{command} --help' for usage");
            return 2;
        }
        TokenOption.Flag = parsed.GetValue(TokenOption.Option);
        try
        {
            // After Ctrl-C a command finishes the step it is in and removes what it made (an instance being created, the
            // bench's warm shells): System.CommandLine's default 2 s before it exits anyway cut that short on a loaded
            // host and left an instance "creating" for `down` to find.
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
            return await parsed.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Report(e);
        }
    }

    /// <summary>
    /// System.CommandLine binds an unknown option to a free argument (`logs --bogus` looked for an instance named
    /// "--bogus"): every argument but a command line to run (exec's, image's) refuses a value that looks like an option.
    /// </summary>
    private static void RejectOptionLikeValues(Command command)
    {
        foreach (var argument in command.Arguments.Where(a => a.Name != "command"))
        {
            argument.Validators.Add(result =>
            {
                foreach (var token in result.Tokens.Where(t => t.Value.Length > 1 && t.Value[0] == '-' && !double.TryParse(t.Value, CultureInfo.InvariantCulture, out _)))
                {
                    result.AddError($"Unrecognized command or argument '{token.Value}'");
                }
            });
        }
        foreach (var sub in command.Subcommands)
        {
            RejectOptionLikeValues(sub);
        }
    }

    /// <summary>
    /// The last resort for an error no command caught: one line, never a stack trace (LIGHTNFV_TRACE=1 adds it).
    /// Errors with an operator-facing message print it as is; anything else also names its type.
    /// </summary>
    public static int Report(Exception e)
    {
        switch (e)
        {
            case LightNfvException l:
                Console.Error.WriteLine($"error: {l.Message}");
                return ExitCode(l.Kind);
            case OperationCanceledException:
                Console.Error.WriteLine("interrupted");
                return 130;
            case IOException or UnauthorizedAccessException or System.Net.Http.HttpRequestException or System.Net.Sockets.SocketException
                or TimeoutException or System.Text.Json.JsonException or System.Data.Common.DbException:
                Console.Error.WriteLine($"error: {OneLine(e.Message)}");
                break;
            default:
                Console.Error.WriteLine($"error: {e.GetType().Name}: {OneLine(e.Message)} (an unexpected error; LIGHTNFV_TRACE=1 prints where it happened)");
                break;
        }
        if (Trace)
        {
            Console.Error.WriteLine(e.ToString());
        }
        return 1;
    }

    /// <summary>System.CommandLine's type errors name .NET types ("as expected type 'System.Int32'"); say what is expected instead.</summary>
    internal static string UsageMessage(string message)
    {
        var choice = System.Text.RegularExpressions.Regex.Match(message, @"^Argument '(?<value>.*)' not recognized\. Must be one of:(?<accepted>.*)$", System.Text.RegularExpressions.RegexOptions.Singleline);
        if (choice.Success)
        {
            var accepted = string.Join(", ", choice.Groups["accepted"].Value.Split(['\t', ' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(a => a.Trim('\'')));
            return $"'{choice.Groups["value"].Value}' is not accepted; use one of {accepted}";
        }
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(?<value>.*)' for (?:command|option) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.?$");
        if (!m.Success)
        {
            return OneLine(message).TrimEnd('.');
        }
        var expected = m.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" => "a whole number, e.g. 3",
            "System.Double" or "System.Nullable`1[System.Double]" => "a number, e.g. 2.5",
            "System.TimeSpan" or "System.Nullable`1[System.TimeSpan]" => "a duration, e.g. 00:00:30",
            var t => t[(t.LastIndexOf('.') + 1)..].TrimEnd(']').ToLowerInvariant(),
        };
        var name = m.Groups["name"].Value;
        return $"{(name.StartsWith('-') ? name : "argument of '" + name + "'")}: '{m.Groups["value"].Value}' is not {expected}";
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    private static IEnumerable<string> CommandPath(SymbolResult? result)
    {
        var names = new Stack<string>();
        for (var r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult { Command: not RootCommand } c)
            {
                names.Push(c.Command.Name);
            }
        }
        return names;
    }

    /// <summary>
    /// Runs an instance command on the platform: through the daemon's API when its socket answers (like docker and
    /// dockerd), else embedded with the store from <paramref name="open"/> (default <see cref="PlatformContext.Open"/>).
    /// Either way an error is one line and the exit code of its kind.
    /// </summary>
    public static async Task<int> OnPlatform(Func<PlatformEndpoint, CancellationToken, Task<int>> body, CancellationToken cancellationToken,
        Func<PlatformContext>? open = null)
    {
        using (var daemon = DaemonClient.TryConnect())
        {
            if (daemon is not null)
            {
                try
                {
                    return await body(new DaemonPlatform(daemon), cancellationToken).ConfigureAwait(false);
                }
                catch (LightNfvException e)
                {
                    Console.Error.WriteLine($"error: {e.Message}");
                    return ExitCode(e.Kind);
                }
                catch (OperationCanceledException)
                {
                    // The daemon sees the request aborted and removes what it was creating, as the embedded command does.
                    Console.Error.WriteLine("interrupted; what was being created has been removed");
                    return 130;
                }
                catch (Exception e) when (e is System.Net.Http.HttpRequestException or IOException or System.Text.Json.JsonException)
                {
                    Console.Error.WriteLine($"error: the daemon on {daemon.Socket} stopped answering: {OneLine(e.Message)}");
                    return 1;
                }
            }
        }
        return await Guard(open ?? PlatformContext.Open, (ctx, token) => body(new EmbeddedPlatform(ctx), token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a command body with the platform, mapping errors to a message and an exit code per kind.</summary>
    public static Task<int> Guard(Func<PlatformContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken) =>
        Guard(PlatformContext.Open, body, cancellationToken);

    /// <summary>
    /// As <see cref="Guard(Func{PlatformContext, CancellationToken, Task{int}}, CancellationToken)"/> with the platform
    /// from <paramref name="open"/>. Never a stack trace: a damaged or full store and a full disk get one line naming the
    /// file and the way out; anything unforeseen gets one line too (LIGHTNFV_TRACE=1 adds the trace).
    /// </summary>
    public static async Task<int> Guard(Func<PlatformContext> open, Func<PlatformContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        LightNfvException? storeProblem = null;
        try
        {
            using var ctx = open();
            storeProblem = ctx.StoreProblem;
            if (ctx.Notice is { } notice)
            {
                Console.Error.WriteLine($"note: {notice}");
            }
            var code = await body(ctx, cancellationToken).ConfigureAwait(false);
            if (code == 0 && ctx.StoreProblem is { } problem)
            {
                // The host objects are gone; the records could not be updated.
                Console.Error.WriteLine($"error: {problem.Message} (host objects were removed; the store's records were not)");
                return ExitCode(problem.Kind);
            }
            return code;
        }
        catch (LightNfvException e)
        {
            // Working without the store (full disk), names are unknown: say why, so the operator gives ids instead.
            Console.Error.WriteLine(storeProblem is null
                ? $"error: {e.Message}"
                : $"error: {e.Message} (the store could not be opened: {storeProblem.Message}; only instance ids are known)");
            return ExitCode(e.Kind);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("interrupted; what was being created has been removed");
            return 130;
        }
        catch (SqliteException e)
        {
            return Fail(StoreErrors.Explain(e, PlatformContext.StorePath(new PlatformOptions())), e);
        }
        catch (IOException e) when (StoreErrors.IsDiskFull(e))
        {
            return Fail(StoreErrors.Explain(e, new PlatformOptions().StateDirectory), e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message} ({e.GetType().Name}{(Trace ? "" : "; LIGHTNFV_TRACE=1 shows where")})");
            if (Trace)
            {
                Console.Error.WriteLine(e);
            }
            return 1;
        }
    }

    private static bool Trace => Environment.GetEnvironmentVariable("LIGHTNFV_TRACE") == "1";

    private static int Fail(LightNfvException explained, Exception original)
    {
        Console.Error.WriteLine($"error: {explained.Message}");
        if (Trace)
        {
            Console.Error.WriteLine(original);
        }
        return ExitCode(explained.Kind);
    }

    public static int ExitCode(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid or ErrorKind.TooLarge => 2,
        ErrorKind.NotFound => 3,
        ErrorKind.Conflict => 4,
        ErrorKind.State => 5,
        ErrorKind.Unavailable => 6,
        ErrorKind.Exhausted or ErrorKind.Quota => 7,
        ErrorKind.Unauthenticated => 8,
        ErrorKind.Forbidden => 9,
        _ => 1,
    };
}

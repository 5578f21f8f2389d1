using System.CommandLine;
using System.Globalization;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv wait INSTANCE --for=state=running|stopped|exited | --for=delete [--timeout 60s]`, as kubectl wait: exits
/// 0 once the instance is in that state (or gone), 1 with one line when the timeout passes first.
/// </summary>
public static class WaitCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var condition = new Option<string>("--for") { Description = "state=running|stopped|exited|failed, or delete", Required = true };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait: 30s, 2m, 1h or seconds (default 60s)", DefaultValueFactory = _ => "60s" };
        var cmd = new Command("wait", "Wait until an instance reaches a state (--for=state=running) or is removed (--for=delete)") { id, condition, timeout };
        cmd.SetAction((pr, ct) =>
        {
            string? want;
            TimeSpan limit;
            try
            {
                want = ParseCondition(pr.GetValue(condition)!);
                limit = ParseDuration(pr.GetValue(timeout)!, "--timeout");
            }
            catch (LightNfvException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Task.FromResult(2);
            }
            return Cli.OnPlatform(async (platform, token) =>
            {
                var reference = pr.GetValue(id)!;
                var deadline = DateTimeOffset.UtcNow + limit;
                var last = "";
                while (true)
                {
                    try
                    {
                        last = Json.Text(await platform.InspectAsync(reference, token).ConfigureAwait(false), "state");
                        if (last == want)
                        {
                            return 0;
                        }
                    }
                    catch (LightNfvException e) when (e.Kind == ErrorKind.NotFound && want is null)
                    {
                        return 0;
                    }
                    if (DateTimeOffset.UtcNow >= deadline)
                    {
                        Console.Error.WriteLine($"error: timed out after {pr.GetValue(timeout)} waiting for '{reference}' to be {want ?? "deleted"} (it is {last}); " +
                            $"'lightnfv inspect {reference}' shows why, --timeout waits longer");
                        return 1;
                    }
                    await Task.Delay(200, token).ConfigureAwait(false);
                }
            }, ct);
        });
        return cmd;
    }

    /// <summary>The wanted state, or null for delete.</summary>
    internal static string? ParseCondition(string condition)
    {
        var states = Enum.GetNames<Core.Instances.InstanceState>().Select(n => n.ToLowerInvariant()).ToArray();
        if (condition == "delete")
        {
            return null;
        }
        if (condition.StartsWith("state=", StringComparison.Ordinal) && states.Contains(condition[6..].ToLowerInvariant()))
        {
            return condition[6..].ToLowerInvariant();
        }
        throw new LightNfvException(ErrorKind.Invalid, $"--for: '{condition}' is not a condition; use --for=state=<{string.Join('|', states)}> or --for=delete");
    }

    /// <summary>30s, 2m, 1h, 500ms, or plain seconds.</summary>
    internal static TimeSpan ParseDuration(string text, string field)
    {
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0) : text.EndsWith('m') ? (text[..^1], 60.0) : text.EndsWith('h') ? (text[..^1], 3600.0) : (text, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 && n * unit <= 86400
            ? TimeSpan.FromSeconds(n * unit)
            : throw new LightNfvException(ErrorKind.Invalid, $"{field}: '{text}' is not a duration; e.g. 30s, 2m or 1h (at most 24h)");
    }
}

using System.CommandLine;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `--token TOKEN` on every command: the API token (or SSO JWT) the CLI sends to the daemon as a bearer. The flag, else
/// $LIGHTNFV_TOKEN, else `token:` in the config file (~/.config/lightnfv/config.yaml, which should be 0600). Root on the
/// daemon's unix socket needs none; other local users do. Never printed.
/// </summary>
public static class TokenOption
{
    public const string Variable = "LIGHTNFV_TOKEN";

    public static readonly Option<string?> Option = new("--token")
    {
        Description = "API token or SSO JWT for the daemon (default: $LIGHTNFV_TOKEN, then 'token:' in ~/.config/lightnfv/config.yaml; root needs none)",
        Recursive = true,
    };

    /// <summary>The flag's value, set once per command line before any command runs.</summary>
    internal static string? Flag { get; set; }

    /// <summary>The bearer to send, or null (root over the unix socket).</summary>
    public static string? Resolve()
    {
        if (Flag is { Length: > 0 } flag)
        {
            return Check(flag, "--token");
        }
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } env)
        {
            return Check(env, Variable);
        }
        return TenantOption.ConfigPath() is { } path && File.Exists(path) && TenantOption.FromConfig(path, "token") is { } configured
            ? Check(configured, $"token in {path}")
            : null;
    }

    // A header value with a line break would be refused deep in HttpClient with a message naming neither field nor fix.
    private static string Check(string token, string where) =>
        token.Trim() is { Length: > 0 } t && t.All(c => c is > ' ' and < (char)127)
            ? t
            : throw new LightNfvException(ErrorKind.Invalid, $"{where}: not a token (printable characters, no spaces); 'lightnfv token create' makes one");
}

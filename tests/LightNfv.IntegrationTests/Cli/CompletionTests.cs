using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// `lightnfv completion bash`: the script, sourced in a real bash, completes verbs and subcommands by asking the real
/// binary (so a verb added later completes without a new script).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CompletionTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("lnfv-completion-").FullName;

    public CompletionTests()
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var launcher = Path.Combine(_bin, "lightnfv");
        File.WriteAllText(launcher, $"#!/bin/sh\nexec '{dotnet}' '{Path.Combine(AppContext.BaseDirectory, "lightnfv.dll")}' \"$@\"\n");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string Complete(string line)
    {
        var words = line.Split(' ');
        var script = "source <(lightnfv completion bash)\n" +
            $"COMP_LINE='{line}'; COMP_POINT={line.Length}; COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}\n" +
            "_lightnfv_complete; printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        var env = new Dictionary<string, string> { ["PATH"] = _bin + ":" + Environment.GetEnvironmentVariable("PATH") };
        var r = HostState.Run("bash", ["-c", script], env, TimeSpan.FromSeconds(60));
        r.ExitCode.ShouldBe(0, r.ToString());
        return r.Stdout;
    }

    [Fact]
    public void Bash_completes_verbs_and_subcommands_from_the_binary()
    {
        Complete("lightnfv vn").Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["vnf"]);
        var sub = Complete("lightnfv vnf in").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        sub.ShouldBe(["instantiate"]);
        Complete("lightnfv completion ").ShouldContain("fish");
    }

    [Theory]
    [InlineData("zsh", "compdef _lightnfv lightnfv")]
    [InlineData("fish", "complete -c lightnfv")]
    public void Every_shell_gets_a_script(string shell, string expected)
    {
        var r = HostState.Run("sh", ["-c", $"lightnfv completion {shell}"],
            new Dictionary<string, string> { ["PATH"] = _bin + ":" + Environment.GetEnvironmentVariable("PATH") }, TimeSpan.FromSeconds(60));
        r.ExitCode.ShouldBe(0, r.ToString());
        r.Stdout.ShouldContain(expected);
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);
}

using System.CommandLine;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv completion bash|zsh|fish`: a script that asks the CLI itself what may follow (System.CommandLine's
/// `[suggest:POSITION] "LINE"` directive), so completions never drift from the command tree: new verbs, options and
/// their accepted values complete without a new script.
/// </summary>
public static class CompletionCommand
{
    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(Shells);
        var cmd = new Command("completion", "Print a shell completion script: 'source <(lightnfv completion bash)', " +
            "'source <(lightnfv completion zsh)', or 'lightnfv completion fish | source'") { shell };
        cmd.SetAction(pr =>
        {
            Console.Out.Write(Script(pr.GetValue(shell)!));
            return 0;
        });
        return cmd;
    }

    /// <summary>The script for <paramref name="shell"/>; each calls the command being completed (./lightnfv works too).</summary>
    public static string Script(string shell) => shell switch
    {
        "bash" => """
            # lightnfv completion for bash: source <(lightnfv completion bash)
            _lightnfv_complete() {
                local line="${COMP_LINE:0:$COMP_POINT}" IFS=$'\n'
                local words
                words="$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null | grep -v '^/')"
                COMPREPLY=($(compgen -W "$words" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F _lightnfv_complete lightnfv ./lightnfv

            """,
        "zsh" => """
            #compdef lightnfv
            # lightnfv completion for zsh: source <(lightnfv completion zsh)
            _lightnfv() {
                local line="${BUFFER[1,$CURSOR]}"
                local -a suggestions
                suggestions=("${(@f)$("${words[1]}" "[suggest:${#line}]" "$line" 2>/dev/null | grep -v '^/')}")
                compadd -a suggestions
            }
            compdef _lightnfv lightnfv ./lightnfv

            """,
        "fish" => """
            # lightnfv completion for fish: lightnfv completion fish | source
            function __lightnfv_complete
                set -l line (commandline -cp)
                set -l program (commandline -opc)[1]
                $program "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null | string match -v -r '^/'
            end
            complete -c lightnfv -f -a '(__lightnfv_complete)'

            """,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "expected bash, zsh or fish"),
    };
}

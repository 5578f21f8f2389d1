using System.Net;
using System.Net.Sockets;
using System.Text;
using LightNfv.Bench.Experiments;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// The `lightnfv` binary on bad input: usage errors and bad descriptors exit 2 with one `error:` line naming the
/// field or the limit, an unexpected failure is one line too, never a stack trace; `serve --listen` answers
/// only bearer tokens.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliBadInputTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private HostState.CommandResult Lightnfv(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var r = HostState.Run(Dotnet, [CliDll, .. args], env, TimeSpan.FromSeconds(60));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args.Select(a => a.Length > 80 ? a[..80] + "..." : a))}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    private HostState.CommandResult Lightnfv(params string[] args) => Lightnfv(Lab.CliEnvironment, args);

    private static void NoTrace(HostState.CommandResult r)
    {
        r.Stderr.ShouldNotContain("   at ", Case.Sensitive, r.ToString());
        r.Stderr.ShouldNotContain("Unhandled exception", Case.Insensitive, r.ToString());
        r.Stderr.ShouldStartWith("error: ", Case.Sensitive, r.ToString());
    }

    [Theory]
    [InlineData("run")]                            // a required option missing
    [InlineData("nosuch")]                         // an unknown command
    [InlineData("vnf", "scale", "web", "two")]     // a value of the wrong type
    [InlineData("ps", "--bogus")]                  // an unknown option
    [InlineData("logs", "--bogus")]                // an unknown option where an instance name may stand
    [InlineData("stop", "web", "--bogus")]         // ... or after it
    [InlineData("ps", "-o", "xml")]                // a value outside the accepted ones
    [InlineData]                                   // no command at all
    public void Usage_errors_exit_2_with_a_pointer_to_help(params string[] args)
    {
        RequireRoot();
        var r = Lightnfv(args);
        r.ExitCode.ShouldBe(2, r.ToString());
        NoTrace(r);
        r.Stderr.ShouldContain("--help' for usage");
        // One line, in the operator's words: no .NET type names ("as expected type 'System.Int32'").
        r.Stderr.Trim().Split('\n').Length.ShouldBe(1, r.ToString());
        r.Stderr.ShouldNotContain("System.", Case.Sensitive, r.ToString());
    }

    [Fact]
    public void Rm_takes_dockers_force_flag_rather_than_an_instance_named_f()
    {
        RequireRoot();
        var r = Lightnfv("rm", "-f", "nosuch");
        r.ExitCode.ShouldBe(3, r.ToString());
        r.Stderr.ShouldContain("'nosuch'", Case.Sensitive, r.ToString());
        r.Stderr.ShouldNotContain("'-f'", Case.Sensitive, r.ToString());
    }

    [Fact]
    public void Bad_descriptors_exit_2_naming_the_field_or_the_limit()
    {
        RequireRoot();
        Directory.CreateDirectory(Lab.StateDirectory);
        string Write(string name, string text)
        {
            var path = Path.Combine(Lab.StateDirectory, name);
            File.WriteAllText(path, text);
            return path;
        }
        const string Head = "apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: bad}\nspec:\n";
        var cases = new (string File, string Expected)[]
        {
            // Before: exit 134, the stack overflowed inside YamlDotNet.
            (Write("deep.yaml", Head + "  x: " + new string('[', 100_000) + new string(']', 100_000)), "nesting limit"),
            // Before: stored.
            (Write("big.yaml", Head + "  technology: process\n  app: {command: [sh]}\n#" + new string('c', 10 * 1024 * 1024)), "262144 bytes (256 KiB)"),
            (Write("nul.yaml", Head + "  technology: \"process\\0\"\n  app: {command: [sh]}\n"), "spec.technology"),
            (Write("dots.yaml", Head + "  technology: process\n  app: {command: [../../bin/sh]}\n"), "spec.app.command[0]"),
            // Before: passed validation and failed at exec.
            (Write("env.yaml", Head + "  technology: process\n  app:\n    command: [sh]\n    env: {BIG: " + new string('x', 200 * 1024) + "}\n"), "spec.app.env.BIG"),
        };
        foreach (var (file, expected) in cases)
        {
            var run = Lightnfv("run", "-f", file);
            run.ExitCode.ShouldBe(2, run.ToString());
            NoTrace(run);
            run.Stderr.ShouldContain(expected, Case.Sensitive, run.ToString());
            run.Stderr.Trim().Split('\n').Length.ShouldBe(1, run.ToString());
        }
        Lightnfv("ps", "--json").Stdout.Trim().ShouldBe("[]");
    }

    [Fact]
    public void An_unexpected_failure_is_one_line_without_a_trace()
    {
        RequireRoot();
        // A state directory under a regular file: the host refuses to make it (an IOException no command expects).
        Directory.CreateDirectory(Lab.StateDirectory);
        var file = Path.Combine(Lab.StateDirectory, "not-a-directory");
        File.WriteAllText(file, "");
        var env = new Dictionary<string, string>(Lab.CliEnvironment) { ["LIGHTNFV_STATE_DIR"] = Path.Combine(file, "state") };
        var r = Lightnfv(env, "ps");
        r.ExitCode.ShouldBe(1, r.ToString());
        NoTrace(r);
        r.Stderr.Trim().Split('\n').Length.ShouldBe(1, r.ToString());
        r.Stderr.ShouldContain(file);

        // The state directory itself a file: said as such, exit 2.
        var named = Lightnfv(new Dictionary<string, string>(Lab.CliEnvironment) { ["LIGHTNFV_STATE_DIR"] = file }, "ps");
        named.ExitCode.ShouldBe(2, named.ToString());
        NoTrace(named);
        named.Stderr.ShouldContain("is a file, not a directory");
    }

    [Fact]
    public async Task Serve_listen_answers_only_bearer_tokens_and_keeps_the_state_root_only()
    {
        RequireRoot();
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var socket = Path.Combine(Lab.StateDirectory, "lightnfv.sock");

        var refused = Lightnfv("serve", "--socket", socket, "--listen", "0.0.0.0:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        refused.ExitCode.ShouldBe(2, refused.ToString());
        NoTrace(refused);
        refused.Stderr.ShouldContain("loopback");
        File.Exists(socket).ShouldBeFalse("a refused daemon must not have started listening");

        var log = Path.Combine(Lab.StateDirectory, "daemon.log");
        using var daemon = new DaemonProcess([Dotnet, CliDll, "serve", "--socket", socket, "--listen", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            socket, log, Lab.CliEnvironment);
        await daemon.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            (await http.GetAsync("healthz")).StatusCode.ShouldBe(HttpStatusCode.OK);
            var anonymous = await http.GetAsync("api/v1/status");
            anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            anonymous.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
            (await anonymous.Content.ReadAsStringAsync()).ShouldContain("token");

            string secret;
            using (var store = LightNfv.Platform.Store.PlatformStore.OpenIn(Lab.StateDirectory))
            {
                secret = store.CreateToken("cli-test", "default", Core.Identity.Role.Viewer, null).Secret;
            }
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
            var status = await http.GetAsync("api/v1/status");
            status.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await status.Content.ReadAsStringAsync()).ShouldContain("\"daemon\":\"lightnfv\"");

            // Root-only state: the directory 0700, the store 0600; the socket 0666, as every caller but root needs a token.
            File.GetUnixFileMode(socket).ShouldBe(LightNfv.Server.Daemon.ServerApp.SocketMode);
            File.GetUnixFileMode(Lab.StateDirectory).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.GetUnixFileMode(Path.Combine(Lab.StateDirectory, "lightnfv.db")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        finally
        {
            daemon.Stop();
        }
        string text;
        using (var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), Encoding.UTF8))
        {
            text = await reader.ReadToEndAsync();
        }
        Output.WriteLine(text);
        text.ShouldContain($"http://127.0.0.1:{port} answers only calls with 'Authorization: Bearer'");
    }
}

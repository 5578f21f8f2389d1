using System.Text.Json;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// `lightnfv tenant` without and with a daemon (the same JSON), and a quota refusal of `run` and `vnf instantiate`:
/// exit 7, one line naming the quota, nothing created; `lightnfv token` and `--token`: a tenant's token sees its
/// tenant only, another tenant answers as absent, a bad or revoked token exits 8, a non-admin's token verb exits 9.
/// </summary>
public sealed class TenantCliTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private HostState.CommandResult Lightnfv(params string[] args)
    {
        var env = new Dictionary<string, string>(Lab.CliEnvironment) { ["LIGHTNFV_SOCKET"] = Path.Combine(Lab.StateDirectory, "lightnfv.sock") };
        var r = HostState.Run(Dotnet, [CliDll, .. args], env, TimeSpan.FromSeconds(60));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    private string Descriptor(string name)
    {
        var path = Path.Combine(Lab.StateDirectory, $"{name}.yaml");
        File.WriteAllText(path, $"""
            apiVersion: lightnfv/v1
            kind: Vnf
            metadata:
              name: {name}
              tenant: acme
            spec:
              technology: process
              app:
                builtin: iperf3-server
            """);
        return path;
    }

    [Fact]
    public void Tenants_with_and_without_the_daemon_and_quota_refusals_exit_7_in_one_line()
    {
        RequireRoot();
        var file = Descriptor("web");
        Lightnfv("tenant", "create", "acme", "--max-instances", "0", "--max-vcpus", "4").ExitCode.ShouldBe(0);
        Lightnfv("tenant", "create", "acme").ExitCode.ShouldBe(4, "it exists: a conflict");
        Lightnfv("tenant", "set-quota", "acme", "--max-vcpus", "lots").ExitCode.ShouldBe(2);

        var run = Lightnfv("run", "-f", file);
        run.ExitCode.ShouldBe(7, run.ToString());
        run.Stderr.Trim().Split('\n').ShouldHaveSingleItem().ShouldStartWith("error: quota: tenant 'acme' is limited to 0 instances (maxInstances) and uses 0; running 'web' needs 1 more");
        Lab.Store.List().ShouldBeEmpty("nothing half-created");

        var embedded = Lightnfv("tenant", "ls", "-o", "json");
        embedded.ExitCode.ShouldBe(0);
        var acme = JsonDocument.Parse(embedded.Stdout).RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "acme");
        acme.GetProperty("quota").GetProperty("vcpus").GetInt32().ShouldBe(4);
        Lightnfv("tenant", "ls").Stdout.ShouldContain("0/0");

        using (DaemonApi.StartDaemon(Lab))
        {
            Lightnfv("tenant", "ls", "-o", "json").Stdout.ShouldBe(embedded.Stdout, "the same JSON with and without the daemon");
            var through = Lightnfv("run", "-f", file);
            through.ExitCode.ShouldBe(7, through.ToString());
            through.Stderr.Trim().Split('\n').ShouldHaveSingleItem().ShouldContain("(maxInstances)");

            Lightnfv("vnf", "create", "-f", file).ExitCode.ShouldBe(0);
            var inst = Lightnfv("vnf", "instantiate", "web", "--tenant", "acme");
            inst.ExitCode.ShouldBe(7, inst.ToString());
            inst.Stderr.ShouldContain("instantiating VNF 'web' with 1 replica(s) needs 1 more");

            var rm = Lightnfv("tenant", "rm", "acme");
            rm.ExitCode.ShouldBe(4);
            rm.Stderr.ShouldContain("VNF web");
            Lightnfv("tenant", "set-quota", "acme", "--max-instances", "unlimited").ExitCode.ShouldBe(0);
            JsonDocument.Parse(Lightnfv("tenant", "show", "acme", "-o", "json").Stdout).RootElement
                .GetProperty("quota").GetProperty("instances").ValueKind.ShouldBe(JsonValueKind.Null);
        }
        Lab.Store.List().ShouldBeEmpty();
        Lab.Store.Deployments().ShouldBeEmpty();
    }

    [Fact]
    public void Tokens_are_shown_once_scope_the_cli_to_their_tenant_and_stop_working_when_revoked()
    {
        RequireRoot();
        Lightnfv("tenant", "create", "team-a").ExitCode.ShouldBe(0);
        Lightnfv("tenant", "create", "team-b").ExitCode.ShouldBe(0);
        var made = Lightnfv("token", "create", "op-a", "--tenant", "team-a", "--role", "operator", "--expires", "1d");
        made.ExitCode.ShouldBe(0, made.ToString());
        var secret = made.Stdout.Trim();
        secret.ShouldStartWith("lnfv_");
        made.Stderr.ShouldContain("not shown again");
        var listed = Lightnfv("token", "ls", "-o", "json");
        listed.Stdout.ShouldContain("op-a");
        listed.Stdout.ShouldNotContain(secret, customMessage: "a secret is shown once only");
        Lightnfv("token", "create", "bad name").ExitCode.ShouldBe(2);

        using (DaemonApi.StartDaemon(Lab))
        {
            Lightnfv("--token", secret, "tenant", "show", "team-a").ExitCode.ShouldBe(0);
            var other = Lightnfv("--token", secret, "tenant", "show", "team-b");
            var absent = Lightnfv("--token", secret, "tenant", "show", "team-zz");
            other.ExitCode.ShouldBe(3, other.ToString());
            other.Stderr.Replace("team-b", "team-zz", StringComparison.Ordinal).ShouldBe(absent.Stderr, "another tenant answers as an absent one");
            JsonDocument.Parse(Lightnfv("--token", secret, "tenant", "ls", "-o", "json").Stdout).RootElement.EnumerateArray()
                .Select(t => t.GetProperty("name").GetString()).ShouldBe(["team-a"]);
            var forbidden = Lightnfv("--token", secret, "token", "ls");
            forbidden.ExitCode.ShouldBe(9, forbidden.ToString());
            forbidden.Stderr.ShouldContain("admin");
            var unknown = Lightnfv("--token", "lnfv_not-a-token", "tenant", "ls");
            unknown.ExitCode.ShouldBe(8, unknown.ToString());
            unknown.Stderr.Trim().Split('\n').ShouldHaveSingleItem();

            Lightnfv("token", "revoke", "op-a").ExitCode.ShouldBe(0);
            Lightnfv("--token", secret, "tenant", "show", "team-a").ExitCode.ShouldBe(8);
            Lightnfv("token", "ls").Stdout.ShouldContain("revoked");
        }
    }
}

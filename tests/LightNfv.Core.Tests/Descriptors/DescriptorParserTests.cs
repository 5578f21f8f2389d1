using System.Net;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

public class DescriptorParserTests
{
    private const string Minimal = """
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: iperf3
        spec:
          technology: process
          app:
            builtin: iperf3-server
        """;

    private const string Full = """
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: fw-1
          tenant: acme
        spec:
          technology: unikernel
          app:
            command: [/usr/bin/iperf3, -s, -p, "6000"]
            env: {LOG_LEVEL: debug, _X1: "2"}
          resources:
            vcpus: 4
            memoryMiB: 512
            pids: 256
          network:
            address: 10.77.0.10
            ports: [6000, 6001]
        """;

    /// <summary>A valid descriptor with the given spec body (indented two spaces under spec:).</summary>
    private static string WithSpec(string specBody, string metadata = "  name: x") =>
        "apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n" + metadata + "\nspec:\n" + specBody + "\n";

    private static string WithApp(string appBody, string extra = "") =>
        WithSpec("  technology: process\n  app:\n" + appBody + (extra.Length > 0 ? "\n" + extra : ""));

    private static string WithBuiltinAnd(string extra) => WithApp("    builtin: iperf3-server", extra);

    private static DescriptorException Fails(string yaml, string field, string badValue)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(yaml));
        e.Field.ShouldBe(field, $"message was: {e.Message}");
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain(badValue, Case.Sensitive, $"message was: {e.Message}");
        e.Message.ShouldStartWith(field);
        return e;
    }

    // ---- valid descriptors ----------------------------------------------------------------------

    [Fact]
    public void Minimal_descriptor_parses_with_defaults()
    {
        var d = DescriptorParser.Parse(Minimal);

        d.Metadata.ShouldBe(new VnfMetadata("iperf3", "default"));
        d.Spec.Technology.ShouldBe(Technology.Process);
        d.Spec.App.Builtin.ShouldBe("iperf3-server");
        d.Spec.App.Command.ShouldBe(["iperf3", "-s", "-p", "5201", "--forceflush"]);
        d.Spec.App.Argv.ShouldBe(d.Spec.App.Command);
        d.Spec.App.Env.ShouldBeEmpty();
        d.Spec.Resources.ShouldBe(ResourceSpec.Default);
        d.Spec.Network.Address.ShouldBeNull();
        d.Spec.Network.Ports.ShouldBe([5201]);
        d.Spec.Network.ReadinessPort.ShouldBe(5201);
        d.Source.ShouldBe(Minimal);
    }

    [Fact]
    public void Full_descriptor_parses_every_field()
    {
        var d = DescriptorParser.Parse(Full);

        d.Metadata.ShouldBe(new VnfMetadata("fw-1", "acme"));
        d.Spec.Technology.ShouldBe(Technology.Unikernel);
        d.Spec.App.Builtin.ShouldBeNull();
        d.Spec.App.Command.ShouldBe(["/usr/bin/iperf3", "-s", "-p", "6000"]);
        d.Spec.App.Env.Count.ShouldBe(2);
        d.Spec.App.Env["LOG_LEVEL"].ShouldBe("debug");
        d.Spec.App.Env["_X1"].ShouldBe("2");
        d.Spec.Resources.ShouldBe(new ResourceSpec(4, 512, 256));
        d.Spec.Network.Address.ShouldBe(IPAddress.Parse("10.77.0.10"));
        d.Spec.Network.Ports.ShouldBe([6000, 6001]);
        d.Source.ShouldBe(Full);
    }

    [Fact]
    public void Partial_resources_take_the_rest_from_the_defaults()
    {
        var d = DescriptorParser.Parse(WithBuiltinAnd("  resources:\n    memoryMiB: 64"));
        d.Spec.Resources.ShouldBe(new ResourceSpec(ResourceSpec.Default.Vcpus, 64, ResourceSpec.Default.Pids));
    }

    [Fact]
    public void Empty_optional_sections_mean_defaults()
    {
        var d = DescriptorParser.Parse(WithBuiltinAnd("  resources:\n  network: ~") + "\n");
        d.Spec.Resources.ShouldBe(ResourceSpec.Default);
        d.Spec.Network.Ports.ShouldBe([5201]);
    }

    [Theory]
    [InlineData("process", Technology.Process)]
    [InlineData("container", Technology.Container)]
    [InlineData("docker", Technology.Docker)]
    [InlineData("tinyx", Technology.Tinyx)]
    [InlineData("standardvm", Technology.StandardVm)]
    [InlineData("unikernel", Technology.Unikernel)]
    public void Every_technology_name_is_accepted(string name, Technology expected)
    {
        var d = DescriptorParser.Parse(WithSpec($"  technology: {name}\n  app:\n    builtin: tcp-echo"));
        d.Spec.Technology.ShouldBe(expected);
    }

    [Fact]
    public void Builtin_uses_the_first_declared_port()
    {
        var d = DescriptorParser.Parse(WithBuiltinAnd("  network:\n    ports: [6001, 6002]"));
        d.Spec.App.Command.ShouldBe(["iperf3", "-s", "-p", "6001", "--forceflush"]);
        d.Spec.Network.Ports.ShouldBe([6001, 6002]);
    }

    [Fact]
    public void Builtin_without_ports_gets_its_default_port_declared()
    {
        var d = DescriptorParser.Parse(WithSpec("  technology: process\n  app:\n    builtin: tcp-echo\n  network:\n    address: 10.77.0.20"));
        d.Spec.App.Command.ShouldBe(["busybox", "nc", "-ll", "-p", "7", "-e", "cat"]);
        d.Spec.Network.Ports.ShouldBe([7]);
        d.Spec.Network.Address.ShouldBe(IPAddress.Parse("10.77.0.20"));
    }

    [Fact]
    public void Command_without_ports_declares_none()
    {
        var d = DescriptorParser.Parse(WithApp("    command: [sleep, \"100\"]"));
        d.Spec.App.Builtin.ShouldBeNull();
        d.Spec.App.Command.ShouldBe(["sleep", "100"]);
        d.Spec.Network.Ports.ShouldBeEmpty();
        d.Spec.Network.ReadinessPort.ShouldBeNull();
    }

    [Fact]
    public void Command_as_a_single_string_is_split_on_whitespace()
    {
        var d = DescriptorParser.Parse(WithApp("    command: \"iperf3  -s\t-p 5201\""));
        d.Spec.App.Command.ShouldBe(["iperf3", "-s", "-p", "5201"]);
    }

    [Fact]
    public void Command_in_block_style_accepts_numbers_as_strings()
    {
        var d = DescriptorParser.Parse(WithApp("    command:\n      - iperf3\n      - -p\n      - 5201"));
        d.Spec.App.Command.ShouldBe(["iperf3", "-p", "5201"]);
    }

    [Fact]
    public void Boundary_values_are_accepted()
    {
        var low = DescriptorParser.Parse(WithBuiltinAnd("  resources: {vcpus: 1, memoryMiB: 4, pids: 8}\n  network: {ports: [1]}"));
        low.Spec.Resources.ShouldBe(new ResourceSpec(1, 4, 8));
        low.Spec.Network.Ports.ShouldBe([1]);
        var high = DescriptorParser.Parse(WithBuiltinAnd("  resources: {vcpus: 64, memoryMiB: 262144, pids: 32768}\n  network: {ports: [65535]}"));
        high.Spec.Resources.ShouldBe(new ResourceSpec(64, 262144, 32768));
        high.Spec.Network.Ports.ShouldBe([65535]);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("a-b-c")]
    [InlineData("abcdefghij0123456789abcdefghij0123456789")] // 40 characters
    public void Valid_names_are_accepted(string name)
    {
        DescriptorParser.Parse(WithSpec("  technology: process\n  app: {builtin: tcp-echo}", $"  name: {name}\n  tenant: {name}"))
            .Metadata.ShouldBe(new VnfMetadata(name, name));
    }

    // ---- example files --------------------------------------------------------------------------

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LightNfv.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no LightNfv.slnx above {AppContext.BaseDirectory}");
    }

    public static TheoryData<string> ExampleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot(), "examples"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Every_example_file_parses(string file)
    {
        var path = Path.Combine(RepoRoot(), "examples", file);
        var d = DescriptorParser.ParseFile(path);
        d.Source.ShouldBe(File.ReadAllText(path));
        d.Spec.Network.ReadinessPort.ShouldNotBeNull();
    }

    [Fact]
    public void Example_files_say_what_the_readme_says()
    {
        var examples = Path.Combine(RepoRoot(), "examples");

        var iperf3 = DescriptorParser.ParseFile(Path.Combine(examples, "iperf3.yaml"));
        iperf3.Metadata.Name.ShouldBe("iperf3");
        iperf3.Spec.Technology.ShouldBe(Technology.Process);
        iperf3.Spec.App.Builtin.ShouldBe("iperf3-server");
        iperf3.Spec.Resources.ShouldBe(new ResourceSpec(1, 64, 64));
        iperf3.Spec.Network.Ports.ShouldBe([5201]);

        var echo = DescriptorParser.ParseFile(Path.Combine(examples, "echo.yaml"));
        echo.Metadata.Name.ShouldBe("echo");
        echo.Spec.App.Builtin.ShouldBe("tcp-echo");
        echo.Spec.Network.Ports.ShouldBe([7]);

        var cmd = DescriptorParser.ParseFile(Path.Combine(examples, "iperf3-command.yaml"));
        cmd.Metadata.Name.ShouldBe("iperf3-cmd");
        cmd.Spec.App.Builtin.ShouldBeNull();
        cmd.Spec.App.Command.ShouldBe(["iperf3", "-s", "-p", "5201", "--forceflush"]);
        cmd.Spec.Network.Ports.ShouldBe([5201]);
    }

    [Fact]
    public void Missing_file_is_not_found()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lightnfv-missing-{Guid.NewGuid():N}.yaml");
        var e = Should.Throw<LightNfvException>(() => DescriptorParser.ParseFile(path));
        e.Kind.ShouldBe(ErrorKind.NotFound);
        e.Message.ShouldBe($"descriptor file '{path}' not found");
    }

    // ---- document level -------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("# only a comment\n")]
    [InlineData("~\n")]
    public void Empty_document_is_rejected(string yaml)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(yaml));
        e.Field.ShouldBe("(document)");
        e.Message.ShouldContain("empty");
    }

    [Theory]
    [InlineData("- a\n- b\n", "a sequence")]
    [InlineData("just-text\n", "'just-text'")]
    public void Top_level_must_be_a_mapping(string yaml, string got)
    {
        var e = Fails(yaml, "(document)", got);
        e.Message.ShouldContain("mapping");
        e.Line.ShouldBe(1);
    }

    [Fact]
    public void Yaml_syntax_error_names_the_line()
    {
        var e = Fails(Minimal + "\n  network:\n    ports: [5201\n", "(document)", "not valid YAML");
        e.Line.ShouldBeGreaterThan(0);
        e.Column.ShouldBeGreaterThan(0);
        e.Message.ShouldContain($"(line {e.Line})");
    }

    [Fact]
    public void Yaml_syntax_error_on_a_bad_indent_reports_its_line()
    {
        var e = Fails("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n  name: x\n   tenant: y\n", "(document)", "not valid YAML");
        e.Line.ShouldBe(5);
    }

    [Fact]
    public void Duplicate_key_is_a_yaml_error()
    {
        var e = Fails(Minimal + "\nkind: Vnf\n", "(document)", "Duplicate key");
        e.Line.ShouldBe(9);
    }

    [Fact]
    public void Several_documents_are_rejected()
    {
        var e = Fails(Minimal + "\n---\n" + Minimal, "(document)", "---");
        e.Line.ShouldBe(10);
    }

    [Theory]
    [InlineData("apiVersion", "lightnfv/v2", "lightnfv/v1")]
    [InlineData("apiVersion", "LightNFV/v1", "lightnfv/v1")]
    [InlineData("kind", "vnf", "kind: Vnf")]
    [InlineData("kind", "Service", "kind: Vnf")]
    public void Api_version_and_kind_must_be_exact(string field, string bad, string hint)
    {
        var yaml = Minimal.Replace(field == "kind" ? "kind: Vnf" : "apiVersion: lightnfv/v1", $"{field}: {bad}");
        var e = Fails(yaml, field, $"'{bad}'");
        e.Message.ShouldContain(hint);
    }

    [Theory]
    [InlineData("apiVersion: lightnfv/v1\n", "apiVersion")]
    [InlineData("kind: Vnf\n", "kind")]
    [InlineData("metadata:\n  name: iperf3\n", "metadata")]
    public void Required_top_level_fields(string remove, string field)
    {
        var e = Fails(Minimal.Replace(remove, ""), field, "required");
        e.Line.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Missing_spec_is_reported()
    {
        Fails("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n  name: x\n", "spec", "required");
    }

    // ---- unknown fields -------------------------------------------------------------------------

    [Fact]
    public void Unknown_top_level_field()
    {
        var e = Fails(Minimal + "\nstatus: running\n", "status", "'status'");
        e.Message.ShouldContain("accepted fields are apiVersion, kind, metadata, spec");
        e.Line.ShouldBe(9);
        e.Column.ShouldBe(1);
    }

    [Fact]
    public void Field_names_are_case_sensitive()
    {
        var e = Fails(Minimal.Replace("apiVersion:", "apiversion:"), "apiversion", "'apiversion'");
        e.Message.ShouldContain("did you mean 'apiVersion'?");
    }

    [Fact]
    public void Unknown_metadata_field()
    {
        var e = Fails(Minimal.Replace("  name: iperf3", "  name: iperf3\n  labels: {a: b}"), "metadata.labels", "'labels'");
        e.Message.ShouldContain("accepted fields are name, tenant");
        e.Line.ShouldBe(5);
    }

    [Fact]
    public void Unknown_spec_field()
    {
        var e = Fails(WithBuiltinAnd("  replicas: 3"), "spec.replicas", "'replicas'");
        e.Message.ShouldContain("accepted fields are technology, runtime, app, resources, network");
    }

    [Fact]
    public void Unknown_resources_field_suggests_the_near_miss()
    {
        var e = Fails(WithBuiltinAnd("  resources:\n    vcpus: 1\n    memroyMiB: 64"), "spec.resources.memroyMiB", "'memroyMiB'");
        e.Message.ShouldContain("accepted fields are vcpus, memoryMiB, pids");
        e.Message.ShouldContain("did you mean 'memoryMiB'?");
        e.Line.ShouldBe(11);
        e.Column.ShouldBe(5);
    }

    [Fact]
    public void Unknown_app_field()
    {
        var e = Fails(WithApp("    builtin: tcp-echo\n    args: [x]"), "spec.app.args", "'args'");
        e.Message.ShouldContain("accepted fields are builtin, command, env");
    }

    [Fact]
    public void Unknown_network_field()
    {
        var e = Fails(WithBuiltinAnd("  network:\n    port: 5201"), "spec.network.port", "'port'");
        e.Message.ShouldContain("accepted fields are address, ports");
        e.Message.ShouldContain("did you mean 'ports'?");
    }

    // ---- metadata -------------------------------------------------------------------------------

    [Theory]
    [InlineData("Iperf3")]
    [InlineData("-iperf")]
    [InlineData("iperf-")]
    [InlineData("ip_erf")]
    [InlineData("ip.erf")]
    [InlineData("abcdefghij0123456789abcdefghij0123456789a")] // 41 characters
    public void Invalid_name_is_rejected(string name)
    {
        var e = Fails(Minimal.Replace("name: iperf3", $"name: {name}"), "metadata.name", $"'{name}'");
        e.Message.ShouldContain("lowercase");
        e.Line.ShouldBe(4);
    }

    [Fact]
    public void Missing_name_is_rejected()
    {
        Fails(Minimal.Replace("  name: iperf3", "  tenant: t"), "metadata.name", "required");
    }

    [Fact]
    public void Empty_quoted_name_is_rejected()
    {
        Fails(Minimal.Replace("name: iperf3", "name: ''"), "metadata.name", "''");
    }

    [Fact]
    public void Invalid_tenant_is_rejected()
    {
        var e = Fails(Minimal.Replace("  name: iperf3", "  name: iperf3\n  tenant: Acme Corp"), "metadata.tenant", "'Acme Corp'");
        e.Message.ShouldContain("lowercase");
    }

    // ---- spec.technology ------------------------------------------------------------------------

    [Theory]
    [InlineData("kvm")]
    [InlineData("Process")]
    [InlineData("standardvm.kvm")]
    public void Unknown_technology_lists_the_accepted_ones(string tech)
    {
        var e = Fails(Minimal.Replace("technology: process", $"technology: {tech}"), "spec.technology", $"'{tech}'");
        e.Message.ShouldContain("process, container, docker, tinyx, standardvm, unikernel");
    }

    [Fact]
    public void Missing_technology_is_rejected()
    {
        var e = Fails(WithSpec("  app: {builtin: tcp-echo}"), "spec.technology", "required");
        e.Message.ShouldContain("process");
    }

    // ---- spec.app -------------------------------------------------------------------------------

    [Fact]
    public void Unknown_builtin_lists_the_accepted_names()
    {
        var e = Fails(WithApp("    builtin: nginx"), "spec.app.builtin", "'nginx'");
        e.Message.ShouldContain("iperf3-server, tcp-echo");
    }

    [Fact]
    public void Both_builtin_and_command_is_rejected()
    {
        var e = Fails(WithApp("    builtin: tcp-echo\n    command: [cat]"), "spec.app", "exactly one");
        e.Message.ShouldContain("builtin");
        e.Message.ShouldContain("command");
    }

    [Theory]
    [InlineData("    env: {A: b}")]
    [InlineData("    builtin:\n    command: ~")]
    public void Neither_builtin_nor_command_is_rejected(string app)
    {
        var e = Fails(WithApp(app), "spec.app", "exactly one");
        e.Message.ShouldContain("iperf3-server");
    }

    [Fact]
    public void Missing_app_is_rejected()
    {
        Fails(WithSpec("  technology: process"), "spec.app", "required");
    }

    [Theory]
    [InlineData("[]", "spec.app.command", "'[]'")]
    [InlineData("\"   \"", "spec.app.command", "'   '")]
    [InlineData("['', -s]", "spec.app.command[0]", "''")]
    [InlineData("[iperf3, ~]", "spec.app.command[1]", "'~'")]
    [InlineData("[iperf3, [a]]", "spec.app.command[1]", "a sequence")]
    [InlineData("{a: b}", "spec.app.command", "a mapping")]
    public void Invalid_command_is_rejected(string command, string field, string bad)
    {
        Fails(WithApp($"    command: {command}"), field, bad);
    }

    [Theory]
    [InlineData("{1A: x}", "spec.app.env.1A", "'1A'")]
    [InlineData("{A-B: x}", "spec.app.env.A-B", "'A-B'")]
    [InlineData("{A: [x]}", "spec.app.env.A", "a sequence")]
    [InlineData("{A: }", "spec.app.env.A", "\"\"")]
    [InlineData("[A=b]", "spec.app.env", "a sequence")]
    [InlineData("A=b", "spec.app.env", "'A=b'")]
    public void Invalid_env_is_rejected(string env, string field, string bad)
    {
        Fails(WithApp($"    builtin: tcp-echo\n    env: {env}"), field, bad);
    }

    // ---- spec.resources -------------------------------------------------------------------------

    [Theory]
    [InlineData("vcpus", "0", "from 1 to 64")]
    [InlineData("vcpus", "-1", "from 1 to 64")]
    [InlineData("vcpus", "65", "from 1 to 64")]
    [InlineData("vcpus", "1.5", "whole number")]
    [InlineData("vcpus", "two", "whole number")]
    [InlineData("vcpus", "0x10", "whole number")]
    [InlineData("vcpus", "99999999999999999999", "out of range")]
    [InlineData("memoryMiB", "3", "from 4 to 262144")]
    [InlineData("memoryMiB", "262145", "from 4 to 262144")]
    [InlineData("memoryMiB", "128Mi", "whole number")]
    [InlineData("pids", "7", "from 8 to 32768")]
    [InlineData("pids", "32769", "from 8 to 32768")]
    public void Resource_out_of_range_or_not_an_integer(string field, string value, string hint)
    {
        var e = Fails(WithBuiltinAnd($"  resources:\n    {field}: {value}"), $"spec.resources.{field}", $"'{value}'");
        e.Message.ShouldContain(hint);
        e.Line.ShouldBe(10);
    }

    [Fact]
    public void Quoted_number_is_not_an_integer()
    {
        var e = Fails(WithBuiltinAnd("  resources:\n    vcpus: \"2\""), "spec.resources.vcpus", "'2'");
        e.Message.ShouldContain("without quotes");
    }

    [Theory]
    [InlineData("[1]", "a sequence")]
    [InlineData("{n: 1}", "a mapping")]
    public void Resource_of_the_wrong_type(string value, string got)
    {
        var e = Fails(WithBuiltinAnd($"  resources:\n    vcpus: {value}"), "spec.resources.vcpus", got);
        e.Message.ShouldContain("integer");
    }

    // ---- spec.network ---------------------------------------------------------------------------

    [Theory]
    [InlineData("10.77.0")]
    [InlineData("10.77.0.256")]
    [InlineData("10.77.0.01")]
    [InlineData("fe80::1")]
    [InlineData("lab-host")]
    public void Invalid_address_is_rejected(string address)
    {
        var e = Fails(WithBuiltinAnd($"  network:\n    address: {address}"), "spec.network.address", $"'{address}'");
        e.Message.ShouldContain("IPv4");
    }

    [Theory]
    [InlineData("[0]", "spec.network.ports[0]", "'0'")]
    [InlineData("[80, 65536]", "spec.network.ports[1]", "'65536'")]
    [InlineData("[80, http]", "spec.network.ports[1]", "'http'")]
    [InlineData("[80, \"81\"]", "spec.network.ports[1]", "'81'")]
    public void Invalid_port_is_rejected(string ports, string field, string bad)
    {
        var e = Fails(WithBuiltinAnd($"  network:\n    ports: {ports}"), field, bad);
        e.Message.ShouldContain("1 to 65535");
    }

    [Fact]
    public void Duplicate_port_is_rejected()
    {
        var e = Fails(WithBuiltinAnd("  network:\n    ports: [5201, 7, 5201]"), "spec.network.ports[2]", "'5201'");
        e.Message.ShouldContain("spec.network.ports[0]");
    }

    [Theory]
    [InlineData("5201", "'5201'")]
    [InlineData("{a: 1}", "a mapping")]
    public void Ports_must_be_a_sequence(string ports, string got)
    {
        var e = Fails(WithBuiltinAnd($"  network:\n    ports: {ports}"), "spec.network.ports", got);
        e.Message.ShouldContain("[5201]");
    }

    // ---- wrong node types -----------------------------------------------------------------------

    [Theory]
    [InlineData("metadata: iperf3", "metadata", "'iperf3'", "mapping")]
    [InlineData("metadata: [a]", "metadata", "a sequence", "mapping")]
    [InlineData("apiVersion: [lightnfv/v1]", "apiVersion", "a sequence", "string")]
    [InlineData("kind: {Vnf: 1}", "kind", "a mapping", "string")]
    public void Wrong_node_type_at_the_top(string line, string field, string got, string expected)
    {
        var key = line[..line.IndexOf(':')];
        var lines = Minimal.Split('\n').ToList();
        var at = lines.FindIndex(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        lines[at] = line;
        if (key == "metadata")
        {
            lines.RemoveAt(at + 1);
        }
        var e = Fails(string.Join('\n', lines), field, got);
        e.Message.ShouldContain(expected);
    }

    [Theory]
    [InlineData("  technology: [process]\n  app: {builtin: tcp-echo}", "spec.technology", "a sequence")]
    [InlineData("  technology: process\n  app: tcp-echo", "spec.app", "'tcp-echo'")]
    [InlineData("  technology: process\n  app: {builtin: [tcp-echo]}", "spec.app.builtin", "a sequence")]
    [InlineData("  technology: process\n  app: {builtin: tcp-echo}\n  resources: 1", "spec.resources", "'1'")]
    [InlineData("  technology: process\n  app: {builtin: tcp-echo}\n  network: [5201]", "spec.network", "a sequence")]
    [InlineData("  technology: process\n  app: {builtin: tcp-echo}\n  network: {address: [10.77.0.2]}", "spec.network.address", "a sequence")]
    public void Wrong_node_type_in_spec(string body, string field, string got)
    {
        var e = Fails(WithSpec(body), field, got);
        e.Message.ShouldContain("expected");
    }

    [Fact]
    public void Spec_must_be_a_mapping()
    {
        var e = Fails("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: x}\nspec: process\n", "spec", "'process'");
        e.Message.ShouldContain("mapping");
        e.Line.ShouldBe(4);
        e.Column.ShouldBe(7);
    }

    [Fact]
    public void Name_of_the_wrong_type()
    {
        var e = Fails(Minimal.Replace("name: iperf3", "name: {a: b}"), "metadata.name", "a mapping");
        e.Message.ShouldContain("expected a string");
    }

    [Fact]
    public void Non_scalar_key_is_rejected()
    {
        Fails(Minimal.Replace("  name: iperf3", "  name: iperf3\n  ? [a, b]\n  : c"), "metadata", "a sequence");
    }
}

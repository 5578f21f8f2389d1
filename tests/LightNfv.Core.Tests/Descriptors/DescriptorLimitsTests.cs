using System.Text;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

/// <summary>Bad input gets a clear error naming the field or the limit, never a crash: size, depth, aliases, control characters, '..', execve's limits.</summary>
public class DescriptorLimitsTests
{
    private static string WithApp(string appBody) =>
        "apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n  name: x\nspec:\n  technology: process\n  app:\n" + appBody + "\n";

    private static DescriptorException Fails(string yaml, string field, ErrorKind kind = ErrorKind.Invalid)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(yaml));
        e.Field.ShouldBe(field, $"message was: {e.Message}");
        e.Kind.ShouldBe(kind, $"message was: {e.Message}");
        return e;
    }

    // ---- size -----------------------------------------------------------------------------------

    [Fact]
    public void A_10_MB_descriptor_is_refused_naming_the_limit()
    {
        var yaml = WithApp("    command: [sh]\n    env: {BIG: \"" + new string('x', 10 * 1024 * 1024) + "\"}");
        var e = Fails(yaml, "(document)", ErrorKind.TooLarge);
        e.Message.ShouldContain($"{DescriptorLimits.MaxBytes} bytes");
        e.Message.ShouldContain(Encoding.UTF8.GetByteCount(yaml).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_size_limit_counts_utf8_bytes_and_is_inclusive()
    {
        var head = WithApp("    builtin: iperf3-server");
        // Pad with a comment to exactly the limit: accepted.
        var exact = head + "#" + new string('c', DescriptorLimits.MaxBytes - Encoding.UTF8.GetByteCount(head) - 1);
        Encoding.UTF8.GetByteCount(exact).ShouldBe(DescriptorLimits.MaxBytes);
        DescriptorParser.Parse(exact).Metadata.Name.ShouldBe("x");

        // Fewer chars than the limit, but three bytes each in UTF-8: refused.
        var wide = head + "#" + new string('€', DescriptorLimits.MaxBytes / 3);
        (wide.Length < DescriptorLimits.MaxBytes).ShouldBeTrue();
        Fails(wide, "(document)", ErrorKind.TooLarge);
    }

    [Fact]
    public void ReadFile_stops_at_the_limit()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lnfv-big-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(path, WithApp("    builtin: iperf3-server") + "#" + new string('c', DescriptorLimits.MaxBytes));
            var e = Should.Throw<DescriptorException>(() => DescriptorParser.ParseFile(path));
            e.Kind.ShouldBe(ErrorKind.TooLarge);
            e.Message.ShouldContain(path);
            e.Message.ShouldContain("262144 bytes (256 KiB)");

            File.WriteAllText(path, "\uFEFF" + WithApp("    builtin: iperf3-server"));
            DescriptorParser.ParseFile(path).Metadata.Name.ShouldBe("x");
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ---- nesting --------------------------------------------------------------------------------

    [Theory]
    [InlineData("[", "]", 100_000)]   // flow sequences, the drill's 200 KB file
    [InlineData("{a: ", "}", 50_000)] // flow mappings
    [InlineData("- ", "", 100_000)]   // block sequences on one line
    public void Nesting_100k_levels_deep_is_refused_without_overflowing(string open, string close, int levels)
    {
        var body = new StringBuilder("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: deep}\nspec:\n  x: ");
        if (close.Length == 0)
        {
            // Block style starts on its own line, indented under x.
            body.Append("\n    ");
        }
        for (var i = 0; i < levels; i++)
        {
            body.Append(open);
        }
        body.Append('1');
        for (var i = 0; i < levels; i++)
        {
            body.Append(close);
        }
        var yaml = body.ToString();
        (Encoding.UTF8.GetByteCount(yaml) <= DescriptorLimits.MaxBytes).ShouldBeTrue("the depth check, not the size check, must answer");
        var e = Fails(yaml, "(document)");
        e.Message.ShouldContain($"more than {DescriptorLimits.MaxDepth} levels");
        e.Line.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Depth_up_to_the_limit_reaches_the_field_checks()
    {
        // root, spec, app, env: four levels; then sequences up to the limit.
        string Env(int extra) => WithApp("    command: [sh]\n    env: {A: " + new string('[', extra) + "1" + new string(']', extra) + "}");
        var atLimit = Fails(Env(DescriptorLimits.MaxDepth - 4), "spec.app.env.A");
        atLimit.Message.ShouldContain("expected a string");
        Fails(Env(DescriptorLimits.MaxDepth - 3), "(document)").Message.ShouldContain("nesting limit");
    }

    [Fact]
    public void Aliases_are_refused()
    {
        var e = Fails(WithApp("    command: &c [sh, -c, x]\n    env: {A: *c}"), "(document)");
        e.Message.ShouldContain("'*c' is an alias");
        e.Line.ShouldBe(9);
    }

    // ---- control characters ---------------------------------------------------------------------

    [Theory]
    [InlineData("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: x}\nspec:\n  technology: \"process\\0\"\n  app: {builtin: iperf3-server}\n", "spec.technology", "U+0000")]
    [InlineData("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: \"x\\e[31m\"}\nspec:\n  technology: process\n  app: {builtin: iperf3-server}\n", "metadata.name", "U+001B")]
    [InlineData("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: x}\nspec:\n  technology: process\n  app: {command: [\"/bin/s\\th\"]}\n", "spec.app.command[0]", "U+0009")]
    [InlineData("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: x}\nspec:\n  technology: process\n  app: {command: [sh, \"a\\0b\"]}\n", "spec.app.command[1]", "U+0000")]
    [InlineData("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: x}\nspec:\n  technology: process\n  app: {builtin: iperf3-server, env: {A: \"\\x7f\"}}\n", "spec.app.env.A", "U+007F")]
    [InlineData("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: x}\nspec:\n  technology: process\n  app: {builtin: iperf3-server, files: [\"/etc/a\\nb\"]}\n", "spec.app.files[0]", "U+000A")]
    [InlineData("apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: x}\nspec:\n  technology: process\n  \"te\\0ch\": process\n", "spec.te\\u0000ch", "U+0000")]
    public void Control_characters_are_refused_naming_the_field(string yaml, string field, string character)
    {
        var e = Fails(yaml, field);
        e.Message.ShouldContain(character);
        e.Message.ShouldNotContain("\0");
        e.Message.ShouldNotContain("\u001b");
    }

    [Fact]
    public void Tabs_and_newlines_are_allowed_in_arguments_and_env_values()
    {
        var d = DescriptorParser.Parse(WithApp("    command: [sh, -c, \"echo a\\tb\\necho c\"]\n    env: {SCRIPT: \"x\\ty\\n\"}"));
        d.Spec.App.Argv[2].ShouldBe("echo a\tb\necho c");
        d.Spec.App.Env["SCRIPT"].ShouldBe("x\ty\n");
    }

    // ---- '..' in the program --------------------------------------------------------------------

    [Theory]
    [InlineData("    command: [../../bin/sh]")]
    [InlineData("    command: [/usr/../bin/sh, -c, x]")]
    [InlineData("    command: \"bin/.. -s\"")]
    public void A_program_with_a_dotdot_component_is_refused(string app)
    {
        Fails(WithApp(app), "spec.app.command[0]").Message.ShouldContain("'..' path component");
    }

    [Fact]
    public void Arguments_may_hold_dotdot()
    {
        DescriptorParser.Parse(WithApp("    command: [/bin/ls, ../x, ..]")).Spec.App.Argv.ShouldBe(["/bin/ls", "../x", ".."]);
        DescriptorParser.Parse(WithApp("    command: [./my..prog]")).Spec.App.Argv[0].ShouldBe("./my..prog");
    }

    // ---- execve's limits ------------------------------------------------------------------------

    [Fact]
    public void One_string_over_MAX_ARG_STRLEN_is_refused_naming_it()
    {
        var value = new string('v', DescriptorLimits.MaxArgStringBytes - "BIG=".Length); // + NUL: one byte over
        var e = Fails(WithApp("    command: [sh]\n    env: {A: a, BIG: " + value + "}"), "spec.app.env.BIG");
        e.Message.ShouldContain("MAX_ARG_STRLEN");
        e.Message.ShouldContain("131073 bytes");
        e.Line.ShouldBe(9);

        // One byte less fits.
        DescriptorParser.Parse(WithApp("    command: [sh]\n    env: {BIG: " + value[1..] + "}")).Spec.App.Env["BIG"].Length.ShouldBe(value.Length - 1);

        Fails(WithApp("    command: [sh, " + new string('a', DescriptorLimits.MaxArgStringBytes) + "]"), "spec.app.command[1]")
            .Message.ShouldContain("the argument is 131073 bytes");
    }

    [Fact]
    public void Argv_and_env_over_the_total_are_refused_as_the_kernel_counts_them()
    {
        // 120,000 one-letter arguments: 240 KB of YAML, 1.2 MB as execve counts them (2 bytes + an 8-byte pointer each).
        var args = string.Concat(Enumerable.Repeat(",a", 120_000));
        var e = Fails(WithApp("    command: [sh" + args + "]"), "spec.app.command");
        e.Message.ShouldContain($"{3 + (120_000 * 2) + (120_001 * 8)} bytes"); // "sh" and its NUL, then "a" and a NUL each
        e.Message.ShouldContain("1048576 bytes (1 MiB)");
        e.Message.ShouldContain("E2BIG");

        // With an environment, the error names it (both count).
        Fails(WithApp("    command: [sh" + args + "]\n    env: {A: b}"), "spec.app.env");

        // 90,000 fit (900 KB).
        DescriptorParser.Parse(WithApp("    command: [sh" + string.Concat(Enumerable.Repeat(",a", 90_000)) + "]")).Spec.App.Argv.Count.ShouldBe(90_001);
    }
}

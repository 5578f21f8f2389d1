using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

/// <summary>spec.health and spec.scaling: defaults, values, and errors that name the field.</summary>
public class DescriptorPolicyFieldsTests
{
    private static string With(string extra) => WebDescriptor.With("  network:\n    ports: [5201]\n" + extra);

    [Fact]
    public void Absent_policies_are_null()
    {
        var d = DescriptorParser.Parse(With(""));
        d.Spec.Health.ShouldBeNull();
        d.Spec.Scaling.ShouldBeNull();
    }

    [Fact]
    public void Health_fields_are_read()
    {
        var d = DescriptorParser.Parse(With("""
              health:
                probe: tcp:5201
                interval: 200ms
                timeout: 100ms
                failureThreshold: 2
                action: recreate
                cooldown: 5s
                budget: 3
            """));
        var h = d.Spec.Health.ShouldNotBeNull();
        h.TcpPort.ShouldBe(5201);
        h.Interval.ShouldBe(TimeSpan.FromMilliseconds(200));
        h.Timeout.ShouldBe(TimeSpan.FromMilliseconds(100));
        h.FailureThreshold.ShouldBe(2);
        h.Action.ShouldBe(HealAction.Recreate);
        h.Cooldown.ShouldBe(TimeSpan.FromSeconds(5));
        h.Budget.ShouldBe(3);
    }

    [Fact]
    public void Health_defaults_and_tcp_shorthand_uses_first_port()
    {
        var h = DescriptorParser.Parse(With("""
              health:
                probe: tcp
            """)).Spec.Health.ShouldNotBeNull();
        h.TcpPort.ShouldBe(5201);
        h.Action.ShouldBe(HealAction.Restart);
        h.FailureThreshold.ShouldBe(HealthSpec.Default.FailureThreshold);
    }

    [Fact]
    public void Answer_probe_mapping_is_read()
    {
        var h = DescriptorParser.Parse(With("""
              health:
                probe:
                  tcp: 7
                  send: "ping\r\n"
                  expect: ping
            """)).Spec.Health.ShouldNotBeNull();
        h.TcpPort.ShouldBe(7);
        h.ProbeExpectsAnswer.ShouldBeTrue();
        h.ProbeSend.ShouldBe("ping\r\n");
        h.ProbeExpect.ShouldBe("ping");
        h.ProbeName.ShouldBe("tcp:7 (answer)");
    }

    [Fact]
    public void Answer_probe_with_only_a_port_expects_any_answer_and_string_forms_expect_none()
    {
        var h = DescriptorParser.Parse(With("  health:\n    probe: {tcp: 5201}")).Spec.Health.ShouldNotBeNull();
        h.ProbeExpectsAnswer.ShouldBeTrue();
        h.ProbeSend.ShouldBeNull();
        h.ProbeExpect.ShouldBeNull();
        var handshake = DescriptorParser.Parse(With("  health:\n    probe: tcp:5201")).Spec.Health.ShouldNotBeNull();
        handshake.ProbeExpectsAnswer.ShouldBeFalse();
        handshake.ProbeName.ShouldBe("tcp:5201");
        DescriptorParser.Parse(With("  health:\n    probe: process")).Spec.Health.ShouldNotBeNull().ProbeName.ShouldBe("process");
    }

    [Theory]
    [InlineData("probe: {send: x}", "spec.health.probe.tcp")]
    [InlineData("probe: {tcp: 0}", "spec.health.probe.tcp")]
    [InlineData("probe: {tcp: \"7\"}", "spec.health.probe.tcp")]
    [InlineData("probe: {tcp: 7, expect: \"\"}", "spec.health.probe.expect")]
    [InlineData("probe: {tcp: 7, send: [a]}", "spec.health.probe.send")]
    [InlineData("probe: {tcp: 7, http: /}", "spec.health.probe.http")]
    public void Answer_probe_errors_name_the_field(string line, string field)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(With($"  health:\n    {line}")));
        e.Field.ShouldBe(field);
    }

    [Fact]
    public void Answer_probe_text_is_bounded()
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(With($"  health:\n    probe: {{tcp: 7, send: {new string('x', DescriptorParser.MaxProbeBytes + 1)}}}")));
        e.Field.ShouldBe("spec.health.probe.send");
        e.Message.ShouldContain($"1 to {DescriptorParser.MaxProbeBytes} bytes");
    }

    [Theory]
    [InlineData("probe: http:80", "spec.health.probe")]
    [InlineData("probe: tcp:70000", "spec.health.probe")]
    [InlineData("interval: 2", "spec.health.interval")]
    [InlineData("interval: 10ms", "spec.health.interval")]
    [InlineData("action: reboot", "spec.health.action")]
    [InlineData("failureThreshold: 0", "spec.health.failureThreshold")]
    [InlineData("retries: 3", "spec.health.retries")]
    public void Health_errors_name_the_field(string line, string field)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(With($"  health:\n    {line}")));
        e.Field.ShouldBe(field);
    }

    [Fact]
    public void Scaling_fields_are_read()
    {
        var s = DescriptorParser.Parse(With("""
              scaling:
                metric: cpu
                scaleOutThreshold: 60
                scaleInThreshold: 10.5
                minReplicas: 1
                maxReplicas: 4
                cooldown: 30s
            """)).Spec.Scaling.ShouldNotBeNull();
        s.Metric.ShouldBe(ScalingMetric.Cpu);
        s.ScaleOutThreshold.ShouldBe(60);
        s.ScaleInThreshold.ShouldBe(10.5);
        s.MinReplicas.ShouldBe(1);
        s.MaxReplicas.ShouldBe(4);
        s.Cooldown.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("metric: disk\n    scaleOutThreshold: 1\n    scaleInThreshold: 0", "spec.scaling.metric")]
    [InlineData("metric: cpu\n    scaleInThreshold: 0", "spec.scaling.scaleOutThreshold")]
    [InlineData("metric: cpu\n    scaleOutThreshold: 10\n    scaleInThreshold: 20", "spec.scaling.scaleInThreshold")]
    [InlineData("metric: cpu\n    scaleOutThreshold: ten\n    scaleInThreshold: 1", "spec.scaling.scaleOutThreshold")]
    [InlineData("metric: rate\n    scaleOutThreshold: 10\n    scaleInThreshold: 1\n    minReplicas: 3\n    maxReplicas: 2", "spec.scaling.maxReplicas")]
    public void Scaling_errors_name_the_field(string body, string field)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(With($"  scaling:\n    {body}")));
        e.Field.ShouldBe(field);
    }
}

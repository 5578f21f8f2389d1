using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

/// <summary>spec.security.quarantineOnSpoof: absent, read, and refused with the field and its range named.</summary>
public class DescriptorSecurityFieldTests
{
    private static string With(string extra) => WebDescriptor.With(extra);

    [Fact]
    public void Absent_security_is_null()
    {
        DescriptorParser.Parse(With("")).Spec.Security.ShouldBeNull();
    }

    [Fact]
    public void Threshold_is_read()
    {
        var s = DescriptorParser.Parse(With("  security:\n    quarantineOnSpoof: 10")).Spec.Security.ShouldNotBeNull();
        s.QuarantineOnSpoof.ShouldBe(10);
    }

    [Fact]
    public void Empty_security_sets_no_threshold()
    {
        DescriptorParser.Parse(With("  security: {}")).Spec.Security.ShouldNotBeNull().QuarantineOnSpoof.ShouldBeNull();
    }

    [Theory]
    [InlineData("quarantineOnSpoof: 0", "spec.security.quarantineOnSpoof", "from 1 to")]
    [InlineData("quarantineOnSpoof: -3", "spec.security.quarantineOnSpoof", "from 1 to")]
    [InlineData("quarantineOnSpoof: 2.5", "spec.security.quarantineOnSpoof", "not a whole number")]
    [InlineData("quarantineOnSpoof: \"5\"", "spec.security.quarantineOnSpoof", "without quotes")]
    [InlineData("quarantineOnSpoof: 1000000001", "spec.security.quarantineOnSpoof", "out of range")]
    [InlineData("quarantineOnSpof: 5", "spec.security.quarantineOnSpof", "did you mean 'quarantineOnSpoof'")]
    public void Bad_values_name_the_field_and_the_fix(string body, string field, string hint)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(With($"  security:\n    {body}")));
        e.Field.ShouldBe(field);
        e.Message.ShouldContain(hint);
    }
}

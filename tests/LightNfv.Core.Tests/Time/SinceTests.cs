using LightNfv.Core.Errors;
using LightNfv.Core.Time;

namespace LightNfv.Core.Tests.Time;

public sealed class SinceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("10m", -600)]
    [InlineData("1h30m", -5400)]
    [InlineData("1.5s", -1.5)]
    [InlineData("500ms", -0.5)]
    [InlineData("1d", -86400)]
    [InlineData(" 2h ", -7200)]
    public void Durations_count_back_from_now(string text, double seconds) =>
        Since.Parse(text, T0).ShouldBe(T0.AddSeconds(seconds));

    [Fact]
    public void Times_are_rfc3339_with_nanoseconds_or_unix_seconds()
    {
        Since.Parse("2026-12-05T08:00:10.123456789Z", T0).ShouldBe(T0.AddSeconds(10).AddTicks(1234567));
        Since.Parse("2026-12-05T09:00:00+01:00", T0).ShouldBe(T0);
        Since.Parse("1796457600", T0).ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1796457600));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("10x")]
    [InlineData("")]
    [InlineData("2026-13-45T99:99:99Z")]
    // Parse, but outside the calendar: an error naming the field, never an overflow.
    [InlineData("4348752315632604821")]
    [InlineData("99999999999999h")]
    [InlineData("999999999d")]
    public void Anything_else_is_an_error_naming_the_field(string text)
    {
        Since.TryParse(text, T0, out _).ShouldBeFalse();
        var e = Should.Throw<LightNfvException>(() => Since.Parse(text, T0, "--since"));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldStartWith($"--since: '{text}'");
    }
}

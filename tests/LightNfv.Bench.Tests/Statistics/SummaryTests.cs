using LightNfv.Bench.Statistics;

namespace LightNfv.Bench.Tests.Statistics;

public sealed class SummaryTests
{
    [Fact]
    public void Median_of_an_odd_count_is_the_middle_sample()
    {
        Summary.Of([3.0, 1.0, 2.0]).Median.ShouldBe(2.0);
        Summary.Of([9.0, 1.0, 5.0, 7.0, 3.0]).Median.ShouldBe(5.0);
    }

    [Fact]
    public void Median_of_an_even_count_is_the_mean_of_the_two_middle_samples()
    {
        Summary.Of([4.0, 1.0, 3.0, 2.0]).Median.ShouldBe(2.5);
        Summary.Of([10.0, 20.0]).Median.ShouldBe(15.0);
    }

    [Fact]
    public void Min_max_mean_and_count_come_from_the_unsorted_samples()
    {
        var s = Summary.Of([7.0, 1.0, 4.0, 2.0, 6.0]);
        s.Min.ShouldBe(1.0);
        s.Max.ShouldBe(7.0);
        s.Mean.ShouldBe(4.0);
        s.Count.ShouldBe(5);
    }

    // Expected values are numpy.percentile(x, p) with its default method ("linear", Hyndman-Fan type 7):
    // h = (n - 1) * p / 100, result = x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
    [Theory]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 25, 1.75)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 50, 2.5)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 75, 3.25)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 99, 3.97)]
    [InlineData(new[] { 15.0, 20.0, 35.0, 40.0, 50.0 }, 40, 29.0)]
    [InlineData(new[] { 15.0, 20.0, 35.0, 40.0, 50.0 }, 90, 46.0)]
    [InlineData(new[] { 15.0, 20.0, 35.0, 40.0, 50.0 }, 99, 49.6)]
    [InlineData(new[] { 15.0, 20.0, 35.0, 40.0, 50.0 }, 0, 15.0)]
    [InlineData(new[] { 15.0, 20.0, 35.0, 40.0, 50.0 }, 100, 50.0)]
    [InlineData(new[] { 2.0, 2.0, 2.0 }, 33, 2.0)]
    public void Percentile_interpolates_linearly_like_numpy(double[] sorted, double p, double expected)
    {
        Summary.Percentile(sorted, p).ShouldBe(expected, 1e-9);
    }

    [Fact]
    public void P99_of_the_summary_uses_the_same_interpolation()
    {
        // 0, 1, ..., 100: h = 99 exactly.
        Summary.Of(Enumerable.Range(0, 101).Select(i => (double)i).Reverse().ToArray()).P99.ShouldBe(99.0, 1e-9);
        // 1..10: h = 8.91 -> 9 + 0.91.
        Summary.Of(Enumerable.Range(1, 10).Select(i => (double)i).ToArray()).P99.ShouldBe(9.91, 1e-9);
    }

    [Fact]
    public void A_single_sample_is_every_statistic()
    {
        var s = Summary.Of([4.2]);
        s.Median.ShouldBe(4.2);
        s.Min.ShouldBe(4.2);
        s.Max.ShouldBe(4.2);
        s.Mean.ShouldBe(4.2);
        s.P99.ShouldBe(4.2);
        s.Count.ShouldBe(1);
        Summary.Percentile([4.2], 37).ShouldBe(4.2);
    }

    [Fact]
    public void No_samples_throws()
    {
        Should.Throw<ArgumentException>(() => Summary.Of(Array.Empty<double>()));
    }
}

using System.Diagnostics;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>Waiting for the host to reach a state: polling with a generous deadline, never a timed assertion.</summary>
public static class Poll
{
    public static bool Until(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return true;
            }
            if (sw.Elapsed > timeout)
            {
                return false;
            }
            Thread.Sleep(interval ?? TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>Polls <paramref name="read"/> until <paramref name="accept"/> holds; returns the last value read either way.</summary>
    public static T Read<T>(Func<T> read, Func<T, bool> accept, TimeSpan timeout, TimeSpan? interval = null)
    {
        var value = read();
        Until(() => accept(value = read()), timeout, interval);
        return value;
    }
}

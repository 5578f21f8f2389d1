using System.Runtime.InteropServices;
using LightNfv.Core.Errors;

namespace LightNfv.Host.Native;

/// <summary>Throw helpers that turn errno into an error naming the operation and its target.</summary>
internal static class Errno
{
    public static int Last => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    public static LightNfvException Error(string operation, int errno) =>
        new(ErrorKind.Host, $"{operation}: {Describe(errno)}");

    /// <summary>Throws when a libc call returned -1.</summary>
    public static int Check(int result, string operation)
    {
        if (result < 0)
        {
            throw Error(operation, Last);
        }
        return result;
    }

    public static long Check(long result, string operation)
    {
        if (result < 0)
        {
            throw Error(operation, Last);
        }
        return result;
    }
}

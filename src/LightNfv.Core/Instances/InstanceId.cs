using System.Security.Cryptography;

namespace LightNfv.Core.Instances;

/// <summary>Instance ids: 12 lowercase hex digits, short enough to fit Linux interface names (15 bytes).</summary>
public static class InstanceId
{
    public const int Length = 12;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));

    public static bool IsValid(string s) => s.Length == Length && s.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c));
}

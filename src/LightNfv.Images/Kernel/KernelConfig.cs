using System.Security.Cryptography;
using System.Text;

namespace LightNfv.Images.Kernel;

/// <summary>
/// Kconfig text handling: a fragment's settings, merging them over a base .config (tinyconfig), checking which
/// survived `make olddefconfig` (a setting whose dependencies are unmet is silently dropped by Kconfig), and the
/// cache key a build is filed under.
/// </summary>
public static class KernelConfig
{
    /// <summary>CONFIG_X=value settings of a fragment, in order; "# CONFIG_X is not set" reads as "n".</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text)
    {
        var settings = new List<KeyValuePair<string, string>>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("# CONFIG_", StringComparison.Ordinal) && line.EndsWith(" is not set", StringComparison.Ordinal))
            {
                settings.Add(new(line[2..^" is not set".Length], "n"));
            }
            else if (line.StartsWith("CONFIG_", StringComparison.Ordinal) && line.IndexOf('=') is var eq and > 0)
            {
                settings.Add(new(line[..eq], line[(eq + 1)..]));
            }
        }
        return settings;
    }

    /// <summary>The base config with every fragment setting replacing the base's line for the same symbol (or appended).</summary>
    public static string Merge(string baseConfig, string fragment)
    {
        var overrides = LastWins(Parse(fragment));
        var output = new StringBuilder();
        foreach (var raw in baseConfig.Split('\n'))
        {
            var symbol = Parse(raw) is [var s] ? s.Key : null;
            if (symbol is null || !overrides.ContainsKey(symbol))
            {
                if (raw.Length > 0)
                {
                    output.Append(raw).Append('\n');
                }
            }
        }
        foreach (var (key, value) in overrides)
        {
            output.Append(Line(key, value)).Append('\n');
        }
        return output.ToString();
    }

    /// <summary>Fragment settings the final config does not have (dependencies unmet, or a misspelt symbol).</summary>
    public static IReadOnlyList<string> Missing(string fragment, string finalConfig)
    {
        var final = LastWins(Parse(finalConfig));
        return LastWins(Parse(fragment))
            .Where(s => (final.TryGetValue(s.Key, out var v) ? v : "n") != s.Value)
            .Select(s => Line(s.Key, s.Value))
            .ToList();
    }

    /// <summary>How the fragment is applied; bump when <see cref="KernelBuilder"/> changes its recipe, so old builds are not reused.</summary>
    public const string Recipe = "allnoconfig(tinyconfig+fragment) v2";

    /// <summary>
    /// "&lt;source version&gt;-&lt;first 12 hex digits of SHA-256(recipe, fragment)&gt;": a new source, fragment or recipe is a new build.
    /// </summary>
    public static string Key(string sourceVersion, byte[] fragment) =>
        $"{sourceVersion}-{Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes(Recipe + "\n"), .. fragment]))[..12]}";

    /// <summary>Kconfig reads a repeated symbol's last assignment.</summary>
    private static Dictionary<string, string> LastWins(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in settings)
        {
            d[k] = v;
        }
        return d;
    }

    private static string Line(string key, string value) => value == "n" ? $"# {key} is not set" : $"{key}={value}";
}

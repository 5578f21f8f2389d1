using System.Globalization;
using System.Text;

namespace LightNfv.Backends.Unikernel;

/// <summary>
/// One line of the unikernel monitor's request protocol over its unix socket: a verb and key=value pairs, values
/// percent-encoded ("create id=... ip=10.72.0.5 ...", answered by "ok key=value ..." or "error message=...").
/// Text, not JSON: the CLI sends one per `run`, and a serializer's first use costs more than the whole exchange.
/// Compiled into both sides: this assembly (MonitorClient) and lnfv-ukhost (src/LightNfv.UnikernelMonitor links this
/// file), internal there so that whoever references both assemblies (the CLI, the tests) sees one type.
/// </summary>
#if LNFV_UNIKERNEL_MONITOR
internal
#else
public
#endif
sealed class MonitorMessage
{
    public MonitorMessage(string verb, IReadOnlyDictionary<string, string>? fields = null)
    {
        Verb = verb;
        Fields = fields ?? new Dictionary<string, string>();
    }

    public string Verb { get; }
    public IReadOnlyDictionary<string, string> Fields { get; }

    public string? this[string key] => Fields.TryGetValue(key, out var v) ? v : null;

    public string Require(string key) => this[key] ?? throw new FormatException($"'{Verb}' needs {key}=");

    public ulong Number(string key, ulong fallback = 0) =>
        ulong.TryParse(this[key], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public static MonitorMessage Of(string verb, params (string Key, object? Value)[] fields) =>
        new(verb, fields.Where(f => f.Value is not null).ToDictionary(f => f.Key, f => Convert.ToString(f.Value, CultureInfo.InvariantCulture)!));

    public override string ToString()
    {
        var sb = new StringBuilder(Verb);
        foreach (var (k, v) in Fields)
        {
            sb.Append(' ').Append(k).Append('=').Append(Uri.EscapeDataString(v));
        }
        return sb.ToString();
    }

    public static MonitorMessage Parse(string line)
    {
        var parts = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new FormatException("empty message");
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in parts.Skip(1))
        {
            var eq = p.IndexOf('=');
            if (eq <= 0)
            {
                throw new FormatException($"'{p}' is not key=value");
            }
            fields[p[..eq]] = Uri.UnescapeDataString(p[(eq + 1)..]);
        }
        return new MonitorMessage(parts[0], fields);
    }
}

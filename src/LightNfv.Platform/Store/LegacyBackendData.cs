using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using LightNfv.Core.Backends;

namespace LightNfv.Platform.Store;

/// <summary>
/// Reads the flat string map stores before schema 3 kept per instance ("backend_data": {"netns": "...", "process":
/// "pid@ticks", "runtime": "crun", ...}): the keys every backend wrote with one meaning become <see cref="InstanceFacts"/>,
/// everything else becomes the backend's record as a JSON object of the same names, which each backend's state reads
/// (its property names are those keys, numbers read from strings).
/// </summary>
public static class LegacyBackendData
{
    // The spellings of Backends.Shared.InstanceData, which these rows were written with.
    private const string Namespace = "netns", HostLink = "hostLink", Address = "address", RunDir = "runDir", Process = "process",
        Cgroup = "cgroup", Image = "image", ImageBytes = "imageBytes", ImageTarGzBytes = "imageTarGzBytes";

    /// <summary>The facts and the backend's record (JSON; null when nothing is left for it) of one legacy row.</summary>
    public static (InstanceFacts Facts, string? BackendState) Map(string json)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(json))
        {
            foreach (var field in doc.RootElement.EnumerateObject())
            {
                data[field.Name] = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText();
            }
        }
        var facts = new InstanceFacts
        {
            Namespace = Take(data, Namespace),
            HostLink = Take(data, HostLink),
            Address = data.TryGetValue(Address, out var a) && IPAddress.TryParse(a, out var address) && data.Remove(Address) ? address : null,
            RunDirectory = Take(data, RunDir),
            Cgroup = Take(data, Cgroup),
            // A value that is not pid@ticks (the unikernel wrote the monitor's bare pid) stays with the backend's record.
            Process = data.TryGetValue(Process, out var p) && ProcessRef.Parse(p) is { } process && data.Remove(Process) ? process : null,
        };
        var image = Take(data, Image);
        var bytes = TakeNumber(data, ImageBytes);
        var tarGz = TakeNumber(data, ImageTarGzBytes);
        if (image is not null || bytes is not null || tarGz is not null)
        {
            facts = facts with { Image = new ImageFacts(image, bytes, tarGz) };
        }
        return (facts, data.Count == 0 ? null : Write(data));
    }

    private static string? Take(Dictionary<string, string> data, string key) => data.Remove(key, out var v) ? v : null;

    private static long? TakeNumber(Dictionary<string, string> data, string key) =>
        data.TryGetValue(key, out var v) && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && data.Remove(key) ? n : null;

    private static string Write(Dictionary<string, string> data)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (k, v) in data)
            {
                w.WriteString(k, v);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

using System.Collections.Concurrent;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Platform.Control;

/// <summary>
/// Descriptors parsed once per text: the probe loop and the operation bookkeeping look at every replica's many times
/// a second. A text that does not parse any more (a newer version's syntax) is null, not an error.
/// </summary>
public sealed class DescriptorCache
{
    private readonly ConcurrentDictionary<string, VnfDescriptor?> _parsed = new(StringComparer.Ordinal);

    public VnfDescriptor? Parsed(string source) => _parsed.GetOrAdd(source, s =>
    {
        try
        {
            return DescriptorParser.Parse(s);
        }
        catch (LightNfvException)
        {
            return null;
        }
    });
}

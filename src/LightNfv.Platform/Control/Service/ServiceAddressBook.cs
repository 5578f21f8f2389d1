using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Service;

/// <summary>
/// Each VNF's stable service address: one IPv4 address of the lab subnet, allocated once (from the top of the subnet
/// down, away from the replicas, which get the lowest free ones), kept beside the store in the state directory
/// (services.json, keyed "tenant/name") and released when the VNF's desired state is gone. A file rather than a store
/// column: the store's schema belongs to other work of issue 14 (a column is the natural home once merged). Entries of
/// VNFs no longer in the store count as free, so a lost release (a crash, `down --purge` without a daemon) leaks nothing.
/// </summary>
public sealed class ServiceAddressBook(PlatformStore store)
{
    public const string FileName = "services.json";
    private static readonly Lock Gate = new();

    private string FilePath => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(store.FilePath))!, FileName);

    public static string Key(string tenant, string name) => $"{tenant}/{name}";

    /// <summary>The VNF's service address, or null when it has none yet (its first reconcile pass allocates it).</summary>
    public IPAddress? Get(string tenant, string name) =>
        Live().TryGetValue(Key(tenant, name), out var a) ? a : null;

    /// <summary>Service addresses of VNFs that exist, keyed "tenant/name".</summary>
    public IReadOnlyDictionary<string, IPAddress> Live()
    {
        var book = Read();
        if (book.Count == 0)
        {
            // No store read then: every standalone run asks this (the bench times that path).
            return book;
        }
        var vnfs = store.Deployments().Select(d => Key(d.Tenant, d.Name)).ToHashSet(StringComparer.Ordinal);
        return book.Where(e => vnfs.Contains(e.Key)).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Gives every VNF in the store an address and drops those of VNFs that are gone; returns the live map.
    /// <paramref name="inUse"/> are the addresses replicas hold (never handed out twice). A VNF's address comes from its
    /// tenant's segment (<paramref name="poolFor"/>, by tenant), where its replicas are; one outside it is given anew.
    /// </summary>
    public IReadOnlyDictionary<string, IPAddress> Reconcile(Func<string, AddressPool> poolFor, IEnumerable<IPAddress> inUse)
    {
        lock (Gate)
        {
            var tenants = store.Deployments().ToDictionary(d => Key(d.Tenant, d.Name), d => d.Tenant, StringComparer.Ordinal);
            var vnfs = tenants.Keys.ToList();
            var book = Read();
            var changed = false;
            foreach (var gone in book.Where(e => !tenants.TryGetValue(e.Key, out var t) || !poolFor(t).Contains(e.Value)).Select(e => e.Key).ToList())
            {
                book.Remove(gone);
                changed = true;
            }
            var used = new HashSet<IPAddress>(inUse.Concat(book.Values));
            foreach (var vnf in vnfs.Where(v => !book.ContainsKey(v)))
            {
                var a = Highest(poolFor(tenants[vnf]), used);
                book[vnf] = a;
                used.Add(a);
                changed = true;
            }
            if (changed)
            {
                Write(book);
            }
            return book;
        }
    }

    /// <summary>The highest free address of the pool (the subnet's top is far from the replicas' lowest-first ones).</summary>
    private static IPAddress Highest(AddressPool pool, HashSet<IPAddress> used)
    {
        Span<byte> b = stackalloc byte[4];
        pool.Network.TryWriteBytes(b, out _);
        var network = BinaryPrimitives.ReadUInt32BigEndian(b);
        var top = network | (uint.MaxValue >> pool.PrefixLength);
        for (var v = top - 1; v > network + 1; v--)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, v);
            var a = new IPAddress(b);
            if (!used.Contains(a))
            {
                return a;
            }
        }
        throw new LightNfvException(ErrorKind.Exhausted,
            $"lab subnet {pool.Network}/{pool.PrefixLength} has no free address for a service address; remove instances or configure a larger subnet (LIGHTNFV_SUBNET)");
    }

    /// <summary>Service addresses of existing VNFs, which a new replica must not take (for the instance allocator).</summary>
    public static IEnumerable<IPAddress> Reserved(PlatformStore store)
    {
        try
        {
            return new ServiceAddressBook(store).Live().Values;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private Dictionary<string, IPAddress> Read()
    {
        if (!File.Exists(FilePath))
        {
            return new(StringComparer.Ordinal);
        }
        var raw = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(FilePath)) ?? [];
        return raw.Where(e => IPAddress.TryParse(e.Value, out _))
            .ToDictionary(e => e.Key, e => IPAddress.Parse(e.Value), StringComparer.Ordinal);
    }

    private void Write(Dictionary<string, IPAddress> book)
    {
        if (book.Count == 0)
        {
            File.Delete(FilePath);
            return;
        }
        // Whole file or nothing: written aside, then renamed over.
        var tmp = FilePath + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(book.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value.ToString())));
        File.Move(tmp, FilePath, overwrite: true);
    }
}

using System.Security.Cryptography;
using System.Text.Json;

namespace LightNfv.Platform.Audit;

/// <summary>
/// The hash chain of the audit trail: each record's hash is SHA-256 over a canonical serialization of its fields and
/// the previous record's hash (a JSON array of strings and numbers, in a fixed order: no key order, whitespace or
/// culture to vary), so a change to any record changes every hash after it.
/// </summary>
public static class AuditChain
{
    /// <summary>The previous hash of the first record.</summary>
    public static readonly string Genesis = new('0', 64);

    public static string HashOf(long seq, DateTimeOffset at, string actor, string? tenant, string action, string target, string parameters,
        string result, string? error, string previousHash)
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new object?[]
        {
            seq, AuditTime.Format(at), actor, tenant, action, target, parameters, result, error, previousHash,
        });
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }

    public static string HashOf(AuditRecord r) =>
        HashOf(r.Seq, r.At, r.Actor, r.Tenant, r.Action, r.Target, r.Parameters, r.Result, r.Error, r.PreviousHash);

    /// <summary>
    /// Walks the records in sequence order: each must follow the previous one by one, name its hash, and hash to what
    /// it says; the last must be the <paramref name="head"/> the store kept. The first record that fails is named.
    /// </summary>
    public static AuditVerdict Verify(IEnumerable<AuditRecord> records, AuditHead? head)
    {
        long expected = 1, count = 0;
        var previous = Genesis;
        foreach (var r in records)
        {
            if (r.Seq != expected)
            {
                return Broken(count, expected, r.Seq > expected
                    ? $"missing: the records jump from {expected - 1} to {r.Seq} (record(s) deleted)"
                    : $"out of order: record {r.Seq} follows record {expected - 1}");
            }
            if (!string.Equals(r.PreviousHash, previous, StringComparison.Ordinal))
            {
                return Broken(count, r.Seq, "its previous-hash does not match the record before it (a record was deleted, inserted or reordered)");
            }
            if (!string.Equals(HashOf(r), r.Hash, StringComparison.Ordinal))
            {
                return Broken(count, r.Seq, $"its content does not match its hash (edited: {r.Action} {r.Target} by {r.Actor} at {AuditTime.Format(r.At)})");
            }
            previous = r.Hash;
            expected++;
            count++;
        }
        var last = expected - 1;
        if (head is null)
        {
            return count == 0 ? new(true, 0, null, null, null) : Broken(count, last, "the head row is missing (deleted)");
        }
        if (head.Seq > last)
        {
            return Broken(count, last + 1, $"missing: the head says {head.Seq} record(s), the trail ends at {last} (the newest deleted)");
        }
        if (head.Seq < last || !string.Equals(head.Hash, previous, StringComparison.Ordinal))
        {
            return Broken(count, head.Seq, $"the head (record {head.Seq}, hash {head.Hash[..Math.Min(16, head.Hash.Length)]}) does not match the trail's last record {last}");
        }
        return new(true, count, null, null, previous);
    }

    private static AuditVerdict Broken(long checkedCount, long seq, string problem) => new(false, checkedCount, seq, problem, null);
}

/// <summary>The one textual form of an audit time (UTC, round-trip), in the store and in the hash alike.</summary>
public static class AuditTime
{
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}

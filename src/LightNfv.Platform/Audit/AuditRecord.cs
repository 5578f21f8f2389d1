namespace LightNfv.Platform.Audit;

/// <summary>
/// One entry of the audit trail: who (<see cref="Core.Identity.Caller.Actor"/>) did what to which target, in which
/// tenant, with which parameters (secrets redacted), and how it ended (<see cref="Result"/> "ok" or the error kind,
/// with the error's message). <see cref="Hash"/> covers every field and <see cref="PreviousHash"/>, so the records form
/// a chain that an edit, an insertion, a deletion or a reordering breaks (<see cref="AuditChain.Verify"/>).
/// </summary>
public sealed record AuditRecord(long Seq, DateTimeOffset At, string Actor, string? Tenant, string Action, string Target, string Parameters,
    string Result, string? Error, string PreviousHash, string Hash)
{
    public const string Ok = "ok";
}

/// <summary>What a caller asks to append; the store adds the sequence number, the time and the hashes.</summary>
public sealed record AuditEntry(string Actor, string? Tenant, string Action, string Target, string Parameters, string Result, string? Error);

/// <summary>The last record the store says it appended (kept apart from the records, so deleting the newest is seen).</summary>
public sealed record AuditHead(long Seq, string Hash);

/// <summary>The outcome of <see cref="AuditChain.Verify"/>: the count checked, or the first broken record and why.</summary>
public sealed record AuditVerdict(bool Intact, long Records, long? BrokenSeq, string? Problem, string? HeadHash)
{
    public string Describe() => Intact
        ? $"audit trail intact: {Records} record(s), head {HeadHash?[..Math.Min(16, HeadHash.Length)] ?? "(empty)"}"
        : $"audit trail broken at record {BrokenSeq}: {Problem}";
}

using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>One audit record as the API and `lightnfv audit -o json` show it (parameters as the JSON object stored).</summary>
public sealed record AuditRecordDto(long Seq, DateTimeOffset At, string Actor, string? Tenant, string Action, string Target, JsonElement Parameters,
    string Result, string? Error, string PreviousHash, string Hash)
{
    public static AuditRecordDto Of(AuditRecord r)
    {
        using var doc = JsonDocument.Parse(r.Parameters);
        return new(r.Seq, r.At, r.Actor, r.Tenant, r.Action, r.Target, doc.RootElement.Clone(), r.Result, r.Error, r.PreviousHash, r.Hash);
    }
}

/// <summary>The answer of GET /api/v1/audit/verify (also when the chain is broken: <see cref="Intact"/> says so).</summary>
public sealed record AuditVerdictDto(bool Intact, long Records, long? BrokenSeq, string? Problem, string? Head, string Message)
{
    public static AuditVerdictDto Of(AuditVerdict v) => new(v.Intact, v.Records, v.BrokenSeq, v.Problem, v.HeadHash, v.Describe());
}

/// <summary>
/// /api/v1/audit: the audit trail, oldest first. An admin sees every tenant's records (or one, with ?tenant=); anyone
/// else only their own tenant's, whatever they ask (another tenant's answer is empty, as if it had none). Verifying
/// walks every tenant's records, so it is the admin's.
/// </summary>
public static class AuditApi
{
    public const int MaxLimit = 10_000;

    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/audit").WithTags("audit");
        g.MapGet("/", (string? tenant, DateTimeOffset? since, long? after, int? limit, PlatformStore store) =>
        {
            if (limit is < 1 or > MaxLimit)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"limit: {limit} is out of range; use 1 to {MaxLimit}");
            }
            var caller = Caller.Current;
            if (caller.Tenant is { } own && tenant is not null && tenant != own)
            {
                return new List<AuditRecordDto>();
            }
            return store.AuditRecords(caller.Tenant ?? tenant, since, after ?? 0, limit ?? 1000).Select(AuditRecordDto.Of).ToList();
        }).WithName("listAudit").Produces<AuditRecordDto[]>().ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Audit records, oldest first: of a tenant, since a time (RFC 3339), after a sequence number, the latest limit (default 1000)");
        g.MapGet("/verify", (PlatformStore store) =>
            AuditVerdictDto.Of(store.VerifyAudit())).WithName("verifyAudit").Produces<AuditVerdictDto>().ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Checks the audit trail's hash chain: intact, or the first broken record and why");
    }
}

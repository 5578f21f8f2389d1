using LightNfv.Core.Errors;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Control.Admission;

namespace LightNfv.Platform.Store;

public sealed partial class PlatformStore
{
    /// <summary>
    /// Records a live resize: the instance's stored descriptor becomes <paramref name="descriptor"/> (its new
    /// spec.resources), so a restart or heal in place starts it at the new size and the tenant's usage counts it. The
    /// quota is checked with the old size freed, under the same lock as the write, so two resizes cannot both take the
    /// last of a quota. Data only; the schema is not touched.
    /// </summary>
    public InstanceRecord Resize(string id, string descriptor, TenantUsage needed, TenantUsage freed, string action)
    {
        lock (_gate)
        {
            var before = Get(id) ?? throw new LightNfvException(ErrorKind.NotFound, $"instance {id} does not exist; 'lightnfv ps' lists them");
            if (TenantIn(before.Tenant, null)?.Quota is { Limited: true } quota)
            {
                QuotaAdmission.Admit(before.Tenant, quota, UsageIn(before.Tenant, null).Minus(freed), needed, action);
            }
            using (var cmd = Command("UPDATE instances SET descriptor=$d, updated_at=$now WHERE id=$id"))
            {
                cmd.Parameters.AddWithValue("$id", id);
                cmd.Parameters.AddWithValue("$d", descriptor);
                cmd.Parameters.AddWithValue("$now", Stamp(_time.GetUtcNow()));
                cmd.ExecuteNonQuery();
            }
            return Get(id)!;
        }
    }
}

using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Audit;

/// <summary>
/// Records the platform's mutating actions in the audit trail, from where they are executed (the lifecycle services,
/// the heal, scale, adoption and orphan loops), not from each caller: the actor is the ambient
/// <see cref="Caller.Current"/>, so the API, the daemonless CLI and the platform's own loops are recorded alike.
/// </summary>
/// <remarks>
/// An action is recorded once it ended: "ok", or the error's kind and message (a refused request is recorded too).
/// A failure to append never fails the action itself (a full disk must not stop a heal); it is reported on stderr.
/// </remarks>
public static class AuditTrail
{
    /// <summary>Stands in for every secret value (descriptor env values, webhook secrets).</summary>
    public const string Redacted = "[redacted]";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>Runs <paramref name="act"/> and records it with its outcome; rethrows its error unchanged.</summary>
    public static T Audited<T>(this PlatformStore store, string action, string? tenant, string target, object? parameters, Func<T> act)
    {
        try
        {
            var result = act();
            store.Record(action, tenant, target, parameters, null);
            return result;
        }
        catch (Exception e)
        {
            // Recorded after the action's own finally blocks ran (its transaction closed), then rethrown unchanged.
            store.Record(action, tenant, target, parameters, e);
            throw;
        }
    }

    public static async Task<T> AuditedAsync<T>(this PlatformStore store, string action, string? tenant, string target, object? parameters, Func<Task<T>> act)
    {
        try
        {
            var result = await act().ConfigureAwait(false);
            store.Record(action, tenant, target, parameters, null);
            return result;
        }
        catch (Exception e)
        {
            store.Record(action, tenant, target, parameters, e);
            throw;
        }
    }

    public static async Task AuditedAsync(this PlatformStore store, string action, string? tenant, string target, object? parameters, Func<Task> act) =>
        await store.AuditedAsync<bool>(action, tenant, target, parameters, async () =>
        {
            await act().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <summary>
    /// Appends one record for the current caller; <paramref name="error"/> null means it succeeded.
    /// </summary>
    public static void Record(this PlatformStore store, string action, string? tenant, string target, object? parameters, Exception? error)
    {
        try
        {
            store.AppendAudit(Entry(action, tenant, target, parameters, error));
        }
        catch (Exception e) when (e is LightNfvException or Microsoft.Data.Sqlite.SqliteException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            Console.Error.WriteLine($"warning: audit record of {action} {target} not written: {e.Message}");
        }
    }

    /// <summary>The record of the current caller's action; <paramref name="error"/> null means it succeeded.</summary>
    public static AuditEntry Entry(string action, string? tenant, string target, object? parameters, Exception? error)
    {
        var (result, message) = error switch
        {
            null => (AuditRecord.Ok, (string?)null),
            LightNfvException l => (l.Kind.ToString().ToLowerInvariant(), l.Message),
            OperationCanceledException => ("canceled", error.Message),
            _ => ("internal", error.Message),
        };
        return new AuditEntry(Caller.Current.Actor, tenant, action, target, Serialize(parameters), result, message);
    }

    /// <summary>What of a descriptor the trail keeps: its shape, with every env value replaced by <see cref="Redacted"/>.</summary>
    public static object Describe(VnfDescriptor d) => new
    {
        technology = d.Spec.Technology.ToName(),
        builtin = d.Spec.App.Builtin,
        command = d.Spec.App.Command,
        env = d.Spec.App.Env.Keys.Order(StringComparer.Ordinal).ToDictionary(k => k, _ => Redacted, StringComparer.Ordinal),
        vcpus = d.Spec.Resources.Vcpus,
        memoryMiB = d.Spec.Resources.MemoryMiB,
        pids = d.Spec.Resources.Pids,
    };

    private static string Serialize(object? parameters) => parameters switch
    {
        null => "{}",
        string s => JsonSerializer.Serialize(new { value = s }, Options),
        _ => JsonSerializer.Serialize(parameters, Options),
    };
}

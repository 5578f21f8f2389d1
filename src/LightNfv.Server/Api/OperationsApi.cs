using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;
using LightNfv.Server.Api.Query;
using LightNfv.Server.Auth;

namespace LightNfv.Server.Api;

/// <summary>/api/v1/operations: lifecycle operation occurrences (processing, completed, failed, rolled_back).</summary>
public static class OperationsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/operations").WithTags("operations");
        g.MapGet("/", (string? state, PlatformStore store) =>
        {
            OperationState? s = null;
            if (state is not null)
            {
                s = Enum.TryParse<OperationState>(state.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var v) ? v
                    : throw new LightNfvException(ErrorKind.Invalid, $"state: '{state}' is not an operation state; use processing, completed, failed or rolled_back");
            }
            return Scope.Filter(store.Operations(s), o => o.Tenant).Select(OperationDto.Of);
        }).WithListQuery<OperationDto>();
        g.MapGet("/{id}", (string id, PlatformStore store) =>
            OperationDto.Of(store.Operation(id) is { } op && Caller.Current.Sees(op.Tenant) ? op
                : throw new LightNfvException(ErrorKind.NotFound, $"id: no operation '{id}'")));
    }
}

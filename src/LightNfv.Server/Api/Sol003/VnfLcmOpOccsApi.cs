using LightNfv.Core.Errors;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Server.Api.OpenApi;
using LightNfv.Server.Api.Query;

namespace LightNfv.Server.Api.Sol003;

/// <summary>
/// /vnflcm/v1/vnf_lcm_op_occs: operation occurrences (every lifecycle operation, also those started through /api/v1)
/// and the tasks that resolve one: retry, rollback and fail from FAILED_TEMP, cancel while STARTING, PROCESSING or
/// ROLLING_BACK. A task its state does not allow answers 409 naming the state.
/// </summary>
public static class VnfLcmOpOccsApi
{
    /// <summary>Maps /vnflcm/v1 (instances and occurrences) and starts raising the occurrences' events.</summary>
    public static void MapSol003(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<PlatformStore>();
        var service = new VnfLcm(store, app.Services.GetRequiredService<VnfLifecycle>(), app.Services.GetRequiredService<Reconciler>());
        VnfLcm.RaiseEvents(store, app.Services.GetRequiredService<AlertHub>());
        var lcm = app.MapGroup(VnfLcm.Prefix).WithErrorResponses();
        VnfInstancesApi.Map(lcm, service);
        Map(lcm, service);
    }

    public static void Map(RouteGroupBuilder lcm, VnfLcm service)
    {
        var g = lcm.MapGroup("/vnf_lcm_op_occs").WithTags("vnflcm");

        g.MapGet("/", (string? operationState, PlatformStore store) =>
        {
            var all = store.Operations().Select(service.View);
            if (operationState is not null)
            {
                string[] states = ["STARTING", "PROCESSING", "COMPLETED", "FAILED_TEMP", "FAILED", "ROLLING_BACK", "ROLLED_BACK"];
                if (!states.Contains(operationState))
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"operationState: '{operationState}' is not a state; use one of {string.Join(", ", states)}");
                }
                all = all.Where(o => o.OperationState == operationState);
            }
            return TypedResults.Ok(all.ToList());
        }).WithListQuery<VnfLcmOpOccDto>().WithName("listVnfLcmOpOccs").WithSummary("List operation occurrences, newest first (operationState filters)")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        g.MapGet("/{vnfLcmOpOccId}", (string vnfLcmOpOccId) => TypedResults.Ok(service.View(service.RequireOccurrence(vnfLcmOpOccId))))
            .WithName("getVnfLcmOpOcc").WithSummary("Read one operation occurrence").ProducesProblem(StatusCodes.Status404NotFound);

        Task(g, "retry", "retryVnfLcmOpOcc", "Retry a FAILED_TEMP occurrence", StatusCodes.Status202Accepted, (id, _) => service.Retry(id));
        Task(g, "rollback", "rollbackVnfLcmOpOcc", "Roll back a FAILED_TEMP instantiate, scale or change_vnfpkg", StatusCodes.Status202Accepted,
            (id, _) => service.Rollback(id));
        Task(g, "fail", "failVnfLcmOpOcc", "Mark a FAILED_TEMP occurrence FAILED (final)", StatusCodes.Status200OK, (id, _) => service.Fail(id));
        Task(g, "cancel", "cancelVnfLcmOpOcc", "Cancel a STARTING, PROCESSING or ROLLING_BACK occurrence (to FAILED_TEMP)", StatusCodes.Status202Accepted,
            (id, body) => service.Cancel(id, body));

        void Task(RouteGroupBuilder group, string task, string name, string summary, int status, Func<string, CancelModeRequest?, OperationRecord> run)
        {
            var route = group.MapPost($"/{{vnfLcmOpOccId}}/{task}", (string vnfLcmOpOccId, CancelModeRequest? body) =>
            {
                var view = service.View(run(vnfLcmOpOccId, body));
                return status == StatusCodes.Status200OK
                    ? Results.Ok(view)
                    : Results.Accepted($"{VnfLcm.Prefix}/vnf_lcm_op_occs/{view.Id}", view);
            }).WithName(name).WithSummary(summary).Produces<VnfLcmOpOccDto>(status)
                .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
            if (task == "cancel")
            {
                route.ProducesProblem(StatusCodes.Status400BadRequest);
            }
        }
    }
}

using LightNfv.Platform.Store;
using LightNfv.Server.Api.Query;

namespace LightNfv.Server.Api.Sol003;

/// <summary>
/// /vnflcm/v1/vnf_instances (ETSI SOL003 VNF LCM, as Tacker serves it, adapted): VNF instances as resources with ids,
/// and their LCM tasks, each answering 202 with the operation occurrence to follow (Location: /vnflcm/v1/vnf_lcm_op_occs/{id}).
/// </summary>
public static class VnfInstancesApi
{
    public static void Map(RouteGroupBuilder lcm, VnfLcm service)
    {
        var g = lcm.MapGroup("/vnf_instances").WithTags("vnflcm");

        g.MapPost("/", (CreateVnfRequest? body) =>
        {
            var v = service.Create(body);
            return TypedResults.Created($"{VnfLcm.Prefix}/vnf_instances/{v.Id}", service.View(v));
        }).WithName("createVnfInstance").WithSummary("Create a VNF instance of a descriptor (NOT_INSTANTIATED)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);

        g.MapGet("/", (PlatformStore store) => TypedResults.Ok(store.VnfInstances().Select(service.View).ToList()))
            .WithListQuery<VnfInstanceDto>().WithName("listVnfInstances").WithSummary("List VNF instances");

        g.MapGet("/{vnfInstanceId}", (string vnfInstanceId) => TypedResults.Ok(service.View(service.Require(vnfInstanceId))))
            .WithName("getVnfInstance").WithSummary("Read one VNF instance").ProducesProblem(StatusCodes.Status404NotFound);

        g.MapDelete("/{vnfInstanceId}", (string vnfInstanceId) =>
        {
            service.Delete(vnfInstanceId);
            return TypedResults.NoContent();
        }).WithName("deleteVnfInstance").WithSummary("Delete a NOT_INSTANTIATED VNF instance")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        Task(g, "instantiate", "instantiateVnfInstance", "Instantiate: run the descriptor's replicas (instantiationLevelId = replica count)",
            (string id, InstantiateVnfRequest? body) => service.Instantiate(id, body));
        Task(g, "scale", "scaleVnfInstance", "Scale out or in by numberOfSteps replicas",
            (string id, ScaleVnfRequest? body) => service.Scale(id, body));
        Task(g, "scale_to_level", "scaleVnfInstanceToLevel", "Scale to a level (the replica count)",
            (string id, ScaleVnfToLevelRequest? body) => service.ScaleToLevel(id, body));
        Task(g, "heal", "healVnfInstance", "Heal one replica, the unhealthy ones, or all (additionalParams.all)",
            (string id, HealVnfRequest? body) => service.Heal(id, body));
        Task(g, "operate", "operateVnfInstance", "Stop or start every replica in place (changeStateTo STOPPED|STARTED)",
            (string id, OperateVnfRequest? body) => service.Operate(id, body));
        Task(g, "change_vnfpkg", "changeVnfPkg", "Roll to another descriptor version (vnfdId name@version), one replica at a time",
            (string id, ChangeCurrentVnfPkgRequest? body) => service.ChangeVnfpkg(id, body));
        Task(g, "change_flavour", "changeVnfFlavour", "Change resources (additionalParams vcpus, memoryMiB, pids; flavour \"default\"): a new descriptor version, rolled out one replica at a time",
            (string id, ChangeVnfFlavourRequest? body) => service.ChangeFlavour(id, body));
        Task(g, "terminate", "terminateVnfInstance", "Terminate: remove every replica (the instance stays, NOT_INSTANTIATED)",
            (string id, TerminateVnfRequest? body) => service.Terminate(id));

        void Task<TBody>(RouteGroupBuilder group, string task, string name, string summary, Func<string, TBody?, OperationRecord> run) where TBody : class =>
            group.MapPost($"/{{vnfInstanceId}}/{task}", (string vnfInstanceId, TBody? body) =>
            {
                var op = run(vnfInstanceId, body);
                return TypedResults.Accepted($"{VnfLcm.Prefix}/vnf_lcm_op_occs/{op.Id}", service.View(op));
            }).WithName(name).WithSummary(summary)
                .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }
}

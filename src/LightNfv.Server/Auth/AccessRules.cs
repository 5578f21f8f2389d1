using LightNfv.Core.Identity;
using LightNfv.Server.Api.Sol003;

namespace LightNfv.Server.Auth;

/// <summary>
/// The one table of who may call what: every route of the daemon, by method and route pattern, with the least role it
/// needs (null: anonymous). A route missing here is refused to everyone (403), and a test fails on it, so a new route
/// cannot ship without a rule. Which tenant's objects a caller reaches is <see cref="Scope"/>'s part.
/// </summary>
public static class AccessRules
{
    private const string V1 = "/api/v1";
    private const string Lcm = VnfLcm.Prefix;

    private static readonly Role? Anonymous = null;

    public static IReadOnlyDictionary<string, Role?> Table { get; } = new Dictionary<string, Role?>(StringComparer.Ordinal)
    {
        // Liveness and the API's description carry no tenant data: a supervisor or client reads them without a token.
        ["GET /healthz"] = Anonymous,
        ["GET /readyz"] = Anonymous,
        ["GET /openapi/v1.json"] = Anonymous,
        // Every tenant's counters in one document: the scraper gets an admin token.
        ["GET /metrics"] = Role.Admin,

        [$"GET {V1}/status"] = Role.Viewer,
        [$"GET {V1}/events"] = Role.Viewer,
        [$"GET {V1}/alerts"] = Role.Viewer,
        [$"GET {V1}/events/stream"] = Role.Viewer,
        // Acknowledging says "someone is on it": an operator's act, on an event of its own tenant.
        [$"POST {V1}/alerts/{{id}}/ack"] = Role.Operator,
        // Webhooks are the daemon's own outgoing calls (to loopback and the lab): an admin's to set up.
        [$"POST {V1}/subscriptions/"] = Role.Admin,
        [$"GET {V1}/subscriptions/"] = Role.Admin,
        [$"GET {V1}/subscriptions/{{id}}"] = Role.Admin,
        [$"DELETE {V1}/subscriptions/{{id}}"] = Role.Admin,

        [$"GET {V1}/operations/"] = Role.Viewer,
        [$"GET {V1}/operations/{{id}}"] = Role.Viewer,

        [$"POST {V1}/descriptors/"] = Role.Operator,
        [$"GET {V1}/descriptors/"] = Role.Viewer,
        [$"GET {V1}/descriptors/{{name}}"] = Role.Viewer,
        [$"GET {V1}/descriptors/{{name}}/versions"] = Role.Viewer,
        [$"GET {V1}/descriptors/{{name}}/versions/{{version:int}}"] = Role.Viewer,
        [$"DELETE {V1}/descriptors/{{name}}"] = Role.Operator,

        [$"GET {V1}/vnfs/"] = Role.Viewer,
        [$"GET {V1}/vnfs/{{name}}"] = Role.Viewer,
        [$"POST {V1}/vnfs/{{name}}/instantiate"] = Role.Operator,
        [$"POST {V1}/vnfs/{{name}}/scale"] = Role.Operator,
        [$"POST {V1}/vnfs/{{name}}/heal"] = Role.Operator,
        [$"POST {V1}/vnfs/{{name}}/update"] = Role.Operator,
        [$"POST {V1}/vnfs/{{name}}/terminate"] = Role.Operator,

        [$"GET {V1}/top"] = Role.Viewer,
        [$"GET {V1}/instances/"] = Role.Viewer,
        [$"POST {V1}/instances/"] = Role.Operator,
        // Removes every standalone instance of every tenant and the host's orphans: the host's administrator's.
        [$"DELETE {V1}/instances/"] = Role.Admin,
        [$"GET {V1}/instances/{{id}}"] = Role.Viewer,
        [$"DELETE {V1}/instances/{{id}}"] = Role.Operator,
        [$"POST {V1}/instances/{{id}}/stop"] = Role.Operator,
        [$"POST {V1}/instances/{{id}}/start"] = Role.Operator,
        [$"POST {V1}/instances/{{id}}/resize"] = Role.Operator,
        [$"GET {V1}/instances/{{id}}/logs"] = Role.Viewer,
        [$"GET {V1}/instances/{{id}}/stats"] = Role.Viewer,
        // Freezing a suspect instance of one's own tenant is an operator's act, like stopping it.
        [$"POST {V1}/instances/{{id}}/quarantine"] = Role.Operator,
        [$"POST {V1}/instances/{{id}}/release"] = Role.Operator,

        // A scoped caller sees its own tenant's quota and usage; tenants are made and changed by admins.
        [$"GET {V1}/tenants/"] = Role.Viewer,
        [$"GET {V1}/tenants/{{name}}"] = Role.Viewer,
        [$"POST {V1}/tenants/"] = Role.Admin,
        [$"PATCH {V1}/tenants/{{name}}"] = Role.Admin,
        [$"DELETE {V1}/tenants/{{name}}"] = Role.Admin,

        // Records are filtered to the caller's tenant; verifying reads the whole chain, so it is an admin's.
        [$"GET {V1}/audit/"] = Role.Viewer,
        [$"GET {V1}/audit/verify"] = Role.Admin,

        // The web console: signing in and its static files are open; each page reads as a viewer, scoped like the API.
        // Its changes are API calls, so the API's rules above decide them.
        ["GET /ui/login"] = Anonymous,
        ["POST /ui/login"] = Anonymous,
        ["GET /ui/static/{file}"] = Anonymous,
        ["POST /ui/logout"] = Role.Viewer,
        ["GET /ui/"] = Role.Viewer,
        ["GET /ui/inventory/rows"] = Role.Viewer,
        ["GET /ui/instances/{id}"] = Role.Viewer,
        ["GET /ui/instances/{id}/chart"] = Role.Viewer,
        ["GET /ui/instances/{id}/log"] = Role.Viewer,
        ["GET /ui/vnfs/{tenant}/{name}"] = Role.Viewer,
        ["GET /ui/vnfs/{tenant}/{name}/replicas"] = Role.Viewer,
        ["GET /ui/alerts"] = Role.Viewer,
        ["GET /ui/audit"] = Role.Viewer,
        ["GET /ui/host"] = Role.Viewer,
        // The latest benchmark's figures hold no tenant data.
        ["GET /ui/bench"] = Role.Viewer,
        ["GET /ui/operations"] = Role.Viewer,
        ["GET /ui/operations/rows"] = Role.Viewer,
        ["GET /ui/tenants"] = Role.Viewer,

        [$"POST {V1}/tokens/"] = Role.Admin,
        [$"GET {V1}/tokens/"] = Role.Admin,
        [$"DELETE {V1}/tokens/{{name}}"] = Role.Admin,

        // SOL003 VNF LCM: not yet tenant-scoped by id, so reserved to admins until it is.
        [$"GET {Lcm}/api_versions"] = Anonymous,
        [$"POST {Lcm}/vnf_instances/"] = Role.Admin,
        [$"GET {Lcm}/vnf_instances/"] = Role.Admin,
        [$"GET {Lcm}/vnf_instances/{{vnfInstanceId}}"] = Role.Admin,
        [$"DELETE {Lcm}/vnf_instances/{{vnfInstanceId}}"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/instantiate"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/scale"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/heal"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/terminate"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/change_vnfpkg"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/change_flavour"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/operate"] = Role.Admin,
        [$"POST {Lcm}/vnf_instances/{{vnfInstanceId}}/scale_to_level"] = Role.Admin,
        [$"GET {Lcm}/vnf_lcm_op_occs/"] = Role.Admin,
        [$"GET {Lcm}/vnf_lcm_op_occs/{{vnfLcmOpOccId}}"] = Role.Admin,
        [$"POST {Lcm}/vnf_lcm_op_occs/{{vnfLcmOpOccId}}/retry"] = Role.Admin,
        [$"POST {Lcm}/vnf_lcm_op_occs/{{vnfLcmOpOccId}}/rollback"] = Role.Admin,
        [$"POST {Lcm}/vnf_lcm_op_occs/{{vnfLcmOpOccId}}/fail"] = Role.Admin,
        [$"POST {Lcm}/vnf_lcm_op_occs/{{vnfLcmOpOccId}}/cancel"] = Role.Admin,
    };

    /// <summary>The key of an endpoint in <see cref="Table"/>: "METHOD /route/pattern", or null for one that is no route.</summary>
    public static IEnumerable<string> Keys(Endpoint endpoint)
    {
        if (endpoint is not RouteEndpoint route || IsRejection(endpoint))
        {
            yield break;
        }
        var pattern = "/" + (route.RoutePattern.RawText ?? "").TrimStart('/');
        foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
        {
            yield return $"{method} {pattern}";
        }
    }

    /// <summary>The router's stand-in endpoints that only answer 405 or 415 (no handler of ours runs).</summary>
    public static bool IsRejection(Endpoint endpoint) =>
        endpoint.DisplayName is "405 HTTP Method Not Supported" or "415 HTTP Media Type Not Supported";

    /// <summary>Whether the endpoint has a rule, and which: (true, null) is anonymous; (false, _) has none (refused).</summary>
    public static (bool Known, Role? Needs) RuleFor(Endpoint endpoint, string method)
    {
        if (endpoint is not RouteEndpoint route)
        {
            return (false, null);
        }
        var key = $"{method} /{(route.RoutePattern.RawText ?? "").TrimStart('/')}";
        // HEAD is served by GET routes' handlers only when mapped; it needs what GET needs.
        return Table.TryGetValue(key, out var role) ? (true, role) : (false, null);
    }
}

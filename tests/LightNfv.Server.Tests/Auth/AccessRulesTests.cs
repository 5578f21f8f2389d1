using LightNfv.Server.Auth;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Auth;

/// <summary>Security by construction: every route the daemon maps has a rule in AccessRules (a route without one is refused to all).</summary>
public sealed class AccessRulesTests : IDisposable
{
    private readonly ServerFactory _server = new();

    [Fact]
    public void Every_mapped_route_has_an_access_rule()
    {
        _ = _server.CreateClient();
        var sources = _server.Services.GetServices<EndpointDataSource>();
        var keys = sources.SelectMany(s => s.Endpoints).SelectMany(AccessRules.Keys).Distinct().Order().ToList();
        keys.Count.ShouldBeGreaterThan(40);
        keys.Where(k => !AccessRules.Table.ContainsKey(k)).ShouldBeEmpty("routes without a rule in AccessRules.Table");
    }

    public void Dispose() => _server.Dispose();
}

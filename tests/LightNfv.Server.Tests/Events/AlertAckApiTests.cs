using System.Net;
using System.Text.Json;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Events;

/// <summary>
/// POST /api/v1/alerts/{id}/ack on the in-process daemon: an operator acknowledges its tenant's alert (who and when
/// kept, the first acknowledgement stays), a viewer is refused, another tenant's alert reads as absent, each audited.
/// </summary>
public sealed class AlertAckApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public AlertAckApiTests() => _http = _factory.CreateClient();

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }

    private AlertHub Hub => _factory.Services.GetRequiredService<AlertHub>();

    private async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpMethod method, string path, string? caller)
    {
        using var request = new HttpRequestMessage(method, path);
        if (caller is not null)
        {
            TestCaller.Authorize(request, _factory.Services.GetRequiredService<PlatformStore>(), caller);
        }
        using var r = await _http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task An_operator_acknowledges_its_tenants_alert_once_and_the_list_shows_who_and_when()
    {
        var mine = Hub.Raise(AlertKinds.InstanceFailed, "tenant-a", "web", "abc", "replica failed");
        Hub.Raise(AlertKinds.InstanceFailed, "tenant-a", "web", "abd", "another, left alone");

        var (status, acked) = await Send(HttpMethod.Post, $"/api/v1/alerts/{mine.Id}/ack", "token:a/tenant-a/operator");
        status.ShouldBe(HttpStatusCode.OK, acked.ToString());
        acked.GetProperty("id").GetInt64().ShouldBe(mine.Id);
        acked.GetProperty("acknowledged").GetProperty("by").GetString().ShouldBe("token:a-operator");
        var at = acked.GetProperty("acknowledged").GetProperty("at").GetString();
        at.ShouldNotBeNull().ShouldEndWith("Z");

        // Again (another operator, later): the first acknowledgement stays.
        var (again, second) = await Send(HttpMethod.Post, $"/api/v1/alerts/{mine.Id}/ack", "token:b/tenant-a/operator");
        again.ShouldBe(HttpStatusCode.OK);
        second.GetProperty("acknowledged").GetProperty("by").GetString().ShouldBe("token:a-operator");
        second.GetProperty("acknowledged").GetProperty("at").GetString().ShouldBe(at);

        var (_, list) = await Send(HttpMethod.Get, "/api/v1/alerts", "token:v/tenant-a/viewer");
        var events = list.EnumerateArray().ToList();
        events.Single(e => e.GetProperty("id").GetInt64() == mine.Id).GetProperty("acknowledged").GetProperty("by").GetString().ShouldBe("token:a-operator");
        events.Single(e => e.GetProperty("id").GetInt64() != mine.Id).TryGetProperty("acknowledged", out _).ShouldBeFalse("an unacknowledged event keeps its shape");
    }

    [Fact]
    public async Task A_viewer_is_refused_another_tenants_alert_reads_as_absent_and_both_attempts_are_audited()
    {
        var theirs = Hub.Raise(AlertKinds.InstanceFailed, "tenant-b", "web", "abc", "tenant b's");
        var mine = Hub.Raise(AlertKinds.InstanceFailed, "tenant-a", "web", "abc", "tenant a's");

        var (viewer, refused) = await Send(HttpMethod.Post, $"/api/v1/alerts/{mine.Id}/ack", "token:v/tenant-a/viewer");
        viewer.ShouldBe(HttpStatusCode.Forbidden, refused.ToString());
        refused.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("needs the operator role");

        var (other, absent) = await Send(HttpMethod.Post, $"/api/v1/alerts/{theirs.Id}/ack", "token:a/tenant-a/operator");
        other.ShouldBe(HttpStatusCode.NotFound, absent.ToString());
        absent.GetProperty("detail").GetString().ShouldNotBeNull().ShouldNotContain("tenant b");
        (await Send(HttpMethod.Post, "/api/v1/alerts/999999/ack", "token:a/tenant-a/operator")).Status.ShouldBe(HttpStatusCode.NotFound);

        // Still unacknowledged: an admin (root here) sees it so, and then acknowledges it.
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        store.EventById(theirs.Id).ShouldNotBeNull().Acknowledged.ShouldBeNull();
        (await Send(HttpMethod.Post, $"/api/v1/alerts/{theirs.Id}/ack", null)).Status.ShouldBe(HttpStatusCode.OK);

        var (_, audit) = await Send(HttpMethod.Get, "/api/v1/audit", null);
        var acks = audit.EnumerateArray().Where(r => r.GetProperty("action").GetString() == AuditActions.AlertAcknowledge).ToList();
        acks.ShouldContain(r => r.GetProperty("target").GetString() == $"alert/{theirs.Id}" && r.GetProperty("result").GetString() == "notfound"
            && r.GetProperty("actor").GetString() == "token:a-operator" && r.GetProperty("tenant").GetString() == "tenant-a");
        acks.ShouldContain(r => r.GetProperty("target").GetString() == $"alert/{theirs.Id}" && r.GetProperty("result").GetString() == "ok"
            && r.GetProperty("tenant").GetString() == "tenant-b");
    }
}

using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Operations;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Time.Testing;

namespace LightNfv.Platform.Tests.Control.Operations;

/// <summary>Typed operation parameters keep the stored and reported form: rows written before them read the same.</summary>
public sealed class OperationParametersTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"lnfvp-params-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
    }

    public static TheoryData<OperationParameters, string> Cases => new()
    {
        { new InstantiateParameters(3, 1), """{"replicas":"3","version":"1"}""" },
        { new ScaleParameters(4, 2, null), """{"replicas":"4","previousReplicas":"2"}""" },
        { new ScaleParameters(2, 1, "cpu 90 > 50"), """{"replicas":"2","previousReplicas":"1","policy":"cpu 90 \u003E 50"}""" },
        { new UpdateParameters(2, 1), """{"version":"2","previousVersion":"1"}""" },
        { new HealParameters(["aaaaaaaaaaaa"], "process 42 exited", HealAction.Restart), """{"instanceId":"aaaaaaaaaaaa","reason":"process 42 exited","action":"restart"}""" },
        { new HealParameters(["aaaaaaaaaaaa", "bbbbbbbbbbbb"], "requested", null), """{"instanceId":"aaaaaaaaaaaa,bbbbbbbbbbbb","reason":"requested"}""" },
        { new RollbackParameters("op1"), """{"of":"op1"}""" },
        { new TerminateParameters(), "{}" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stored_json_is_the_flat_map_of_before_and_reads_back_typed(OperationParameters p, string json)
    {
        using var store = new PlatformStore(_path, new FakeTimeProvider());
        var op = store.BeginOperation("default", "web", null, p);
        op.Kind.ShouldBe(p.Kind);
        JsonSerializer.Serialize(store.Operation(op.Id)!.Parameters).ShouldBe(json);
        OperationParameters.Of(store.Operation(op.Id)!).ToDictionary().ShouldBe(p.ToDictionary());
        OperationParameters.Of(store.Operation(op.Id)!).GetType().ShouldBe(p.GetType());
    }

    [Fact]
    public void A_row_written_as_strings_reads_typed_and_missing_values_are_null()
    {
        using var store = new PlatformStore(_path, new FakeTimeProvider());
        var old = store.BeginOperation(OperationKinds.Scale, "default", "web", null, new Dictionary<string, string> { ["replicas"] = "3", ["previousReplicas"] = "1" });
        OperationParameters.Of(store.Operation(old.Id)!).ShouldBe(new ScaleParameters(3, 1, null));
        var partial = store.BeginOperation(OperationKinds.Update, "default", "web", null, new Dictionary<string, string> { ["version"] = "x" });
        OperationParameters.Of(store.Operation(partial.Id)!).ShouldBe(new UpdateParameters(null, null));
        var future = store.BeginOperation("migrate", "default", "web", null, new Dictionary<string, string> { ["to"] = "host2" });
        OperationParameters.Of(store.Operation(future.Id)!).ToDictionary()["to"].ShouldBe("host2");
    }
}

using LightNfv.Core.Errors;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Tests.Store;

/// <summary>The state directory is root's only (0700) and the store's files 0600, from a fresh start and after an older, wider one.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class StoreFileModesTests : IDisposable
{
    private const UnixFileMode Dir0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Wide = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode WideFile = (UnixFileMode)0b110_100_100; // 0644

    private readonly string _parent = Path.Combine(Path.GetTempPath(), $"lnfvs-modes-{Guid.NewGuid():N}");

    public StoreFileModesTests() => Directory.CreateDirectory(_parent);

    private string State => Path.Combine(_parent, "state");

    private string Db => Path.Combine(State, PlatformStore.FileName);

    [Fact]
    public void A_new_state_directory_is_0700_and_the_store_files_0600()
    {
        using (var store = PlatformStore.OpenIn(State))
        {
            store.AddSubscription("http://127.0.0.1:9/x", []); // a write, so the WAL has content
            File.GetUnixFileMode(State).ShouldBe(Dir0700);
            File.GetUnixFileMode(Db).ShouldBe(File0600);
            File.Exists(Db + "-wal").ShouldBeTrue();
            File.GetUnixFileMode(Db + "-wal").ShouldBe(File0600);
            File.GetUnixFileMode(Db + "-shm").ShouldBe(File0600);
        }
    }

    [Fact]
    public void Wider_modes_left_by_an_older_start_are_narrowed()
    {
        using (PlatformStore.OpenIn(State))
        {
        }
        File.SetUnixFileMode(State, Wide);
        File.SetUnixFileMode(Db, WideFile);
        File.WriteAllBytes(Db + "-wal", []);
        File.SetUnixFileMode(Db + "-wal", WideFile);

        using (PlatformStore.OpenIn(State))
        {
            File.GetUnixFileMode(State).ShouldBe(Dir0700);
            File.GetUnixFileMode(Db).ShouldBe(File0600);
            File.GetUnixFileMode(Db + "-wal").ShouldBe(File0600);
        }
    }

    [Fact]
    public void A_shared_directory_is_refused_not_narrowed()
    {
        var shared = Path.Combine(_parent, "shared");
        Directory.CreateDirectory(shared);
        var sticky = (UnixFileMode)0b1_111_111_111; // 1777, as /tmp
        File.SetUnixFileMode(shared, sticky);
        var e = Should.Throw<LightNfvException>(() => PlatformStore.OpenIn(shared));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain("LIGHTNFV_STATE_DIR");
        e.Message.ShouldContain("shared directory");
        File.GetUnixFileMode(shared).ShouldBe(sticky);
        File.Exists(Path.Combine(shared, PlatformStore.FileName)).ShouldBeFalse();
    }

    public void Dispose()
    {
        Directory.Delete(_parent, recursive: true);
    }
}

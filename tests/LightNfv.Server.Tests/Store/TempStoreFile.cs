namespace LightNfv.Server.Tests.Store;

/// <summary>A store file of the test's own in the temp directory, removed with its WAL and shared-memory files.</summary>
public abstract class TempStoreFile(string prefix) : IDisposable
{
    protected string StorePath { get; } = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}.db");

    public void Dispose()
    {
        foreach (var f in new[] { StorePath, StorePath + "-wal", StorePath + "-shm" })
        {
            File.Delete(f);
        }
        GC.SuppressFinalize(this);
    }
}

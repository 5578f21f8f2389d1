using LightNfv.Core.Errors;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Tests.Store;

/// <summary>A store file that is not SQLite, truncated or overwritten fails at open with one line naming the file and the way out.</summary>
public sealed class DamagedStoreTests() : TempStoreFile("lnfvs-damaged")
{
    [Fact]
    public void A_file_that_is_not_sqlite_is_named_with_the_way_out()
    {
        File.WriteAllText(StorePath, string.Concat(Enumerable.Repeat("this is not a database, only text. ", 200)));

        var e = Should.Throw<LightNfvException>(() => new PlatformStore(StorePath));

        e.Message.ShouldBe($"store {StorePath} is not a SQLite database (file is not a database); move it aside and run 'lightnfv down' to reset, or restore a backup");
        e.Message.ShouldNotContain("\n");
    }

    [Theory]
    [InlineData(100)]
    [InlineData(4096)]
    [InlineData(8192)]
    public void A_truncated_store_is_reported_as_damaged(int keepBytes)
    {
        MakeStoreWithRecords();
        using (var f = new FileStream(StorePath, FileMode.Open))
        {
            f.Length.ShouldBeGreaterThan(keepBytes);
            f.SetLength(keepBytes);
        }

        var e = Should.Throw<LightNfvException>(() => new PlatformStore(StorePath));

        e.Message.ShouldStartWith($"store {StorePath} is ");
        e.Message.ShouldContain("move it aside and run 'lightnfv down'");
    }

    [Fact]
    public void Overwritten_pages_are_reported_as_damaged()
    {
        MakeStoreWithRecords();
        using (var f = new FileStream(StorePath, FileMode.Open))
        {
            // Pages 2.. hold the tables' b-trees; the header (page 1) stays valid.
            f.Position = 4096;
            var junk = new byte[4096 * 6];
            new Random(12).NextBytes(junk);
            f.Write(junk);
        }

        var e = Should.Throw<LightNfvException>(() => new PlatformStore(StorePath));

        e.Message.ShouldBe($"store {StorePath} is damaged (database disk image is malformed); move it aside and run 'lightnfv down' to reset, or restore a backup");
    }

    [Fact]
    public void Disk_full_names_the_file_and_says_to_free_space()
    {
        var e = StoreErrors.Explain(new IOException($"No space left on device : '{StorePath}'", 28), "/elsewhere");

        e.Message.ShouldBe($"disk full: {StorePath}; free space and retry");
        StoreErrors.IsDiskFull(e).ShouldBeTrue();
        StoreErrors.IsDiskFull(new LightNfvException(ErrorKind.Host, "something else")).ShouldBeFalse();
    }

    /// <summary>A store with enough rows that its tables span several pages, closed (WAL checkpointed into the file).</summary>
    private void MakeStoreWithRecords()
    {
        using var store = new PlatformStore(StorePath);
        for (var i = 0; i < 200; i++)
        {
            store.AddEvent(null, "test.filler", new string('x', 200));
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}

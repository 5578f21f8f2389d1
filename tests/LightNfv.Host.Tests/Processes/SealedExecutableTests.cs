using LightNfv.Host.Processes;

namespace LightNfv.Host.Tests.Processes;

public sealed class SealedExecutableTests
{
    /// <summary>Runs <paramref name="test"/> with a private copy of a host binary, removed afterwards.</summary>
    private static void WithCopyOf(string binary, Action<string> test)
    {
        var dir = Directory.CreateTempSubdirectory("lnfv-sealed-");
        try
        {
            var program = Path.Combine(dir.FullName, Path.GetFileName(binary) + "-copy");
            File.Copy(binary, program);
            test(program);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_sealed_copy_runs_as_the_program_and_cannot_be_written() => WithCopyOf("/bin/echo", program =>
    {
        using var exe = SealedExecutable.TryCreate(program).ShouldNotBeNull();
        exe.Source.ShouldBe(program);
        exe.IsCurrent.ShouldBeTrue();

        // Runs from the memfd, under the name we give it, not the file on disk.
        var result = HostCommand.Run(["echo", "from-the-memfd"], executable: exe.ExecPath);
        result.Succeeded.ShouldBeTrue(result.Output);
        result.Output.ShouldBe("from-the-memfd");

        // Fully sealed, which is what runc and crun check before skipping their own copy: no write, same bytes.
        Should.Throw<UnauthorizedAccessException>(() =>
        {
            using var f = File.OpenWrite(exe.ExecPath);
            f.WriteByte(0);
            f.Flush();
        });
        File.ReadAllBytes(exe.ExecPath).ShouldBe(File.ReadAllBytes(program));
    });

    [Fact]
    public void A_replaced_binary_makes_the_copy_stale() => WithCopyOf("/bin/true", program =>
    {
        using var exe = SealedExecutable.TryCreate(program).ShouldNotBeNull();
        File.AppendAllText(program, "upgrade");
        exe.IsCurrent.ShouldBeFalse();
    });

    [Fact]
    public void A_missing_binary_gives_no_copy() =>
        SealedExecutable.TryCreate("/nonexistent/lightnfv-no-such-tool").ShouldBeNull();
}

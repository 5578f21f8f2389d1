using LightNfv.Host.Processes;

namespace LightNfv.Host.Tests.Processes;

public sealed class SealedExecutableTests
{
    [Fact]
    public void A_sealed_copy_runs_as_the_program_and_cannot_be_written()
    {
        var dir = Directory.CreateTempSubdirectory("lnfv-sealed-");
        try
        {
            var program = Path.Combine(dir.FullName, "echo-copy");
            File.Copy("/bin/echo", program);
            using var exe = SealedExecutable.TryCreate(program).ShouldNotBeNull();
            exe.Source.ShouldBe(program);
            exe.IsCurrent.ShouldBeTrue();

            // Runs from the memfd, under the name we give it, not the file on disk.
            var result = HostCommand.Run(["echo", "from-the-memfd"], executable: exe.ExecPath);
            result.Succeeded.ShouldBeTrue(result.Output);
            result.Output.ShouldBe("from-the-memfd");

            // Fully sealed, which is what runc and crun check before skipping their own copy: no write, no resize.
            Should.Throw<UnauthorizedAccessException>(() =>
            {
                using var f = File.OpenWrite(exe.ExecPath);
                f.WriteByte(0);
                f.Flush();
            });
            File.ReadAllBytes(exe.ExecPath).ShouldBe(File.ReadAllBytes(program));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_replaced_binary_makes_the_copy_stale()
    {
        var dir = Directory.CreateTempSubdirectory("lnfv-sealed-");
        try
        {
            var program = Path.Combine(dir.FullName, "tool");
            File.Copy("/bin/true", program);
            using var exe = SealedExecutable.TryCreate(program).ShouldNotBeNull();
            File.AppendAllText(program, "upgrade");
            exe.IsCurrent.ShouldBeFalse();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_missing_binary_gives_no_copy() =>
        SealedExecutable.TryCreate("/nonexistent/lightnfv-no-such-tool").ShouldBeNull();
}

using LightNfv.Host.Processes;

namespace LightNfv.Host.Tests.Processes;

public sealed class ChildReaperTests
{
    [Fact]
    public void Zombie_children_of_the_named_program_are_reaped_and_no_other()
    {
        // A program under a name no other test uses, so only our own children carry it.
        var dir = Directory.CreateTempSubdirectory("lnfv-reap-");
        try
        {
            var name = "lnfvzomb" + Environment.ProcessId % 10000;
            var program = Path.Combine(dir.FullName, name);
            File.Copy("/bin/true", program);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }
            var log = Path.Combine(dir.FullName, "out.log");
            // posix_spawn: unlike System.Diagnostics.Process, nothing in .NET waits for it, so it stays a zombie.
            var pid = NamespacedSpawner.SpawnTo(program, [name], log);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (State(pid) != 'Z' && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            State(pid).ShouldBe('Z');

            ChildReaper.ReapZombieChildren("someone-else").ShouldBe(0);
            State(pid).ShouldBe('Z');
            ChildReaper.ReapZombieChildren(name).ShouldBe(1);
            State(pid).ShouldBeNull();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static char? State(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return null;
        }
    }
}

using System.Collections;
using System.Text;
using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>Replaces the running program with itself (same argv, one more environment variable).</summary>
public static unsafe class SelfExec
{
    /// <summary>
    /// execve(/proc/self/exe) with this process's own argv (read from /proc/self/cmdline, so it works for an apphost
    /// and for `dotnet x.dll` alike) and the current environment plus <paramref name="name"/>=<paramref name="value"/>.
    /// Returns only if the exec failed.
    /// </summary>
    public static void WithVariable(string name, string value)
    {
        var argv = File.ReadAllText("/proc/self/cmdline", Encoding.UTF8).TrimEnd('\0').Split('\0');
        var env = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if ((string)e.Key != name)
            {
                env.Add($"{e.Key}={e.Value}");
            }
        }
        env.Add($"{name}={value}");
        var argp = Marshal(argv);
        var envp = Marshal(env);
        try
        {
            fixed (nint* a = argp, v = envp)
            {
                Libc.execve("/proc/self/exe", a, v);
            }
        }
        finally
        {
            foreach (var p in argp.Concat(envp))
            {
                System.Runtime.InteropServices.Marshal.FreeCoTaskMem(p);
            }
        }
    }

    private static nint[] Marshal(IReadOnlyCollection<string> strings) =>
        [.. strings.Select(System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8), 0];
}

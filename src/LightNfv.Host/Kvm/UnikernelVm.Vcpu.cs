using System.Text;
using LightNfv.Host.Native;

namespace LightNfv.Host.Kvm;

/// <summary>The vCPU thread: runs the guest until it exits, fails or is stopped, then releases it.</summary>
public sealed unsafe partial class UnikernelVm
{
    // Set by the guest's exit call; State says so only once the guest is released.
    private bool _exited;

    private void Loop()
    {
        _tid = Libc.gettid();
        string? failure = null;
        try
        {
            while (!_stopping)
            {
                var exit = _machine.Run();
                switch (exit)
                {
                    case KvmExit.Io:
                        var io = _machine.Io;
                        if (Hypercall.Decode(io.Direction, io.Size, io.Port, io.Count, io.Value) is not { } call)
                        {
                            failure = $"unexpected port I/O: {(io.Direction == 1 ? "out" : "in")} size {io.Size} count {io.Count} port 0x{io.Port:x}";
                            break;
                        }
                        failure = Serve(call);
                        break;
                    case KvmExit.Intr:
                        continue;
                    case KvmExit.Shutdown:
                        failure = "triple fault (the guest took an exception it could not handle)";
                        break;
                    case KvmExit.Hlt:
                        failure = "halted with nothing to wake it";
                        break;
                    default:
                        failure = $"unexpected exit {exit} ({(uint)exit}) {_machine.ExitDetail(exit)}".TrimEnd();
                        break;
                }
                if (failure is not null || _exited)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            failure = "monitor error: " + e.Message;
        }
        _parked.Set(); // nobody waits for a park that will not come
        if (_stopping && failure is null)
        {
            return;
        }
        if (failure is not null)
        {
            var dump = _machine.DumpRegisters();
            Detail = "guest failed: " + failure;
            WriteConsole(Encoding.UTF8.GetBytes($"\nlightnfv monitor: guest {Id} failed: {failure}\n{dump}"));
        }
        // The guest is over: give back its memory and tap now, not when someone destroys the instance. Its end is
        // published only after that, so whoever sees it failed also sees its tap gone.
        Release();
        if (failure is not null || _exited)
        {
            State = failure is not null ? GuestState.Failed : GuestState.Exited;
        }
        Ended?.Invoke(this);
    }
}

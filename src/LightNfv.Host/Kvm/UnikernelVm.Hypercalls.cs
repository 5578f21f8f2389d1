using System.Buffers.Binary;
using System.Diagnostics;

namespace LightNfv.Host.Kvm;

/// <summary>Hypercall dispatch: checks each argument block lies in guest memory and hands the call to its device (console, network, exit).</summary>
public sealed unsafe partial class UnikernelVm
{
    private string? Serve(Hypercall call)
    {
        var mem = _machine.GuestMemory;
        var size = Hypercall.ArgumentSize(call.Kind);
        if (call.Argument + (ulong)size > (ulong)mem.Length)
        {
            return $"hypercall {call.Kind} with its argument block at 0x{call.Argument:x}, outside guest memory";
        }
        var arg = mem.Slice((int)call.Argument, size);
        var memLength = (ulong)mem.Length;
        // Read on demand from the argument block (no allocation: this runs once per frame).
        static ulong Field(ReadOnlySpan<byte> block, int i) => BinaryPrimitives.ReadUInt64LittleEndian(block[(i * 8)..]);
        bool InMemory(ulong address, ulong length) => length <= memLength && address <= memLength - length;
        switch (call.Kind)
        {
            case HypercallKind.Console:
                {
                    var (buf, len) = (Field(arg, 0), Math.Min(Field(arg, 1), 4096));
                    if (!InMemory(buf, len))
                    {
                        return "console write outside guest memory";
                    }
                    WriteConsole(mem.Slice((int)buf, (int)len));
                    return null;
                }
            case HypercallKind.Send:
                return SendFrames(mem, Field(arg, 0), Field(arg, 1));
            case HypercallKind.Wait:
                {
                    var (buf, cap, deadline) = (Field(arg, 0), Math.Min(Field(arg, 1), 65536), Field(arg, 2));
                    if (!InMemory(buf, cap))
                    {
                        return "receive buffer outside guest memory";
                    }
                    if (SendFrames(mem, Field(arg, 5), Field(arg, 6)) is { } sendFailure)
                    {
                        return sendFailure;
                    }
                    _parked.Set();
                    if (!_bound)
                    {
                        // Parked in the warm pool: the guest has booted and waits for its identity.
                        ParkUntilBound();
                        if (_stopping)
                        {
                            return null;
                        }
                        _startTimestamp = Stopwatch.GetTimestamp();
                    }
                    var n = Receive(mem.Slice((int)buf, (int)cap), deadline);
                    BinaryPrimitives.WriteUInt64LittleEndian(arg[24..], (ulong)n);
                    BinaryPrimitives.WriteUInt64LittleEndian(arg[32..], Now);
                    return null;
                }
            case HypercallKind.Exit:
                Detail = $"exited with code {Field(arg, 0)}";
                _exited = true;
                return null;
            default:
                return $"unknown hypercall {call.Kind}";
        }
    }
}

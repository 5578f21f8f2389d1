using System.Net;
using System.Net.Sockets;
using System.Text;
using LightNfv.Core.Descriptors;
using LightNfv.Platform.Monitoring;

namespace LightNfv.Platform.Tests.Monitoring;

/// <summary>
/// The network probe against loopback servers: a listener that never accepts (what a stopped or deadlocked VNF looks
/// like: the kernel completes the handshake) passes a handshake probe and fails an answer probe; servers that answer
/// or close pass; a wrong answer fails naming it.
/// </summary>
public sealed class TcpLivenessProbeTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public TcpLivenessProbeTests() => _listener.Start();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Probes expected to fail wait 300 ms; those expected to pass get 5 s, so a busy machine cannot fail them.</summary>
    private static HealthSpec Handshake(int port, int timeoutMs = 5000) => HealthSpec.Default with { TcpPort = port, Timeout = TimeSpan.FromMilliseconds(timeoutMs) };

    private static HealthSpec Answer(int port, string? send = null, string? expect = null, int timeoutMs = 5000) =>
        Handshake(port, timeoutMs) with { ProbeExpectsAnswer = true, ProbeSend = send, ProbeExpect = expect };

    private Task<string?> Probe(HealthSpec health) =>
        TcpLivenessProbe.CheckAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), IPAddress.Loopback, health.TcpPort!.Value, health, CancellationToken.None);

    /// <summary>Accepts connections and runs <paramref name="serve"/> on each, until the test ends.</summary>
    private void Serve(Func<Socket, Task> serve) => _ = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            using (s)
            {
                await serve(s);
            }
        }
    });

    [Fact]
    public async Task A_listener_that_never_accepts_passes_a_handshake_and_fails_an_answer_probe()
    {
        // Nobody calls accept: the kernel still completes handshakes into the backlog, like a SIGSTOPped VNF's.
        (await Probe(Handshake(Port))).ShouldBeNull();
        (await Probe(Answer(Port, timeoutMs: 300))).ShouldNotBeNull().ShouldContain("connected, but no answer within 300 ms");
    }

    [Fact]
    public async Task A_handshake_probe_closes_with_FIN_so_the_server_reads_an_orderly_end_not_a_reset()
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Serve(async s =>
        {
            try
            {
                var n = await s.ReceiveAsync(new byte[64]);
                seen.TrySetResult(n == 0 ? "fin" : $"{n} bytes");
            }
            catch (SocketException e)
            {
                seen.TrySetResult(e.SocketErrorCode.ToString());
            }
        });
        (await Probe(Handshake(Port))).ShouldBeNull();
        (await seen.Task.WaitAsync(TimeSpan.FromSeconds(5))).ShouldBe("fin");
    }

    [Fact]
    public async Task A_server_that_closes_after_the_half_close_passes()
    {
        Serve(async s =>
        {
            var buffer = new byte[64];
            while (await s.ReceiveAsync(buffer) > 0)
            {
            }
        });
        (await Probe(Answer(Port))).ShouldBeNull();
    }

    [Fact]
    public async Task An_echo_with_the_expected_answer_passes_and_a_wrong_one_fails_naming_it()
    {
        Serve(async s =>
        {
            var buffer = new byte[64];
            var n = await s.ReceiveAsync(buffer);
            await s.SendAsync(Encoding.UTF8.GetBytes("pong:" + Encoding.UTF8.GetString(buffer, 0, n)));
        });
        (await Probe(Answer(Port, "ping\n", "pong:ping"))).ShouldBeNull();
        var e = await Probe(Answer(Port, "ping\n", "PONG"));
        e.ShouldNotBeNull().ShouldContain("answered 'pong:ping\\x0a', expected it to start with 'PONG'");
    }

    [Fact]
    public async Task A_closed_port_fails_both_probes()
    {
        var port = Port;
        _listener.Stop();
        (await Probe(Handshake(port))).ShouldNotBeNull().ShouldContain("ConnectionRefused");
        (await Probe(Answer(port))).ShouldNotBeNull().ShouldContain("ConnectionRefused");
    }
}

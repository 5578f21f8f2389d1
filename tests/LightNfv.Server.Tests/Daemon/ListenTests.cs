using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using LightNfv.Core.Configuration;
using LightNfv.Core.Errors;
using LightNfv.Server.Daemon;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Daemon;

/// <summary>No open door: TCP answers only bearer tokens; the state directory is root's only, the socket 0666 with a token required of all but root.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ListenTests : IDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"lnfvs-listen-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");

    private DaemonOptions Options(string socket = "") => new()
    {
        Host = new PlatformOptions
        {
            StateDirectory = _state,
            LabNamespace = $"lnfvs-l{Path.GetFileName(_state)[^6..]}",
            CgroupParent = $"lightnfv-ltest-{Path.GetFileName(_state)[^6..]}",
            Subnet = "10.72.0.0/16",
        },
        UnixSocket = socket,
        RunLoops = false,
    };

    [Fact]
    public void Listen_takes_a_loopback_port_or_endpoint_and_refuses_other_addresses()
    {
        DaemonOptions.FromArgs(["--listen", "18123"]).Listen.ShouldBe(new IPEndPoint(IPAddress.Loopback, 18123));
        DaemonOptions.FromArgs(["--socket", "/x"]).Listen.ShouldBeNull();
        var e = Should.Throw<LightNfvException>(() => DaemonOptions.ParseListen("0.0.0.0:18123"));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain("loopback");
    }

    [Fact]
    public async Task Tcp_serves_only_bearers_and_the_socket_is_0666_in_a_0700_state_directory()
    {
        var socket = Path.Combine(_state, "api.sock");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var options = Options(socket) with { Listen = new IPEndPoint(IPAddress.Loopback, port) };
        await using var app = ServerApp.Build([], options);
        await app.StartAsync();
        try
        {
            File.GetUnixFileMode(_state).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // 0666: every caller but root authenticates with a token (the state directory still keeps others out).
            File.GetUnixFileMode(socket).ShouldBe(ServerApp.SocketMode);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            (await http.GetAsync("api/v1/status")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            var token = app.Services.GetRequiredService<LightNfv.Platform.Store.PlatformStore>().CreateToken("t", "default", LightNfv.Core.Identity.Role.Admin, null).Secret;
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            (await http.GetAsync("api/v1/status")).StatusCode.ShouldBe(HttpStatusCode.OK);

            // Kestrel's body limit answers a descriptor body over the route's limit with the same problem document.
            var big = new ByteArrayContent(new byte[(4 * 256 * 1024) + 1]);
            big.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/yaml");
            var r = await http.PostAsync("api/v1/descriptors", big);
            r.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
            (await r.Content.ReadAsStringAsync()).ShouldContain("262144");
            // Other routes take small JSON bodies only.
            var json = new StringContent("{\"replicas\": 1" + new string(' ', 70 * 1024) + "}", System.Text.Encoding.UTF8, "application/json");
            (await http.PostAsync("api/v1/vnfs/x/scale", json)).StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_state))
        {
            Directory.Delete(_state, recursive: true);
        }
    }
}

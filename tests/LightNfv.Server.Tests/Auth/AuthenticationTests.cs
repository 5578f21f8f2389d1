using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using LightNfv.Core.Configuration;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;
using LightNfv.Server.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LightNfv.Server.Tests.Auth;

/// <summary>
/// The real daemon (Kestrel on a loopback TCP port and a unix socket): who gets in, with what role. The TCP listener
/// wants a bearer on every call; tokens and JWTs of the configured key authenticate; roles decide 403.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AuthenticationTests : IAsyncLifetime
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"lnfvs-auth-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");
    private readonly string _sockDir = Path.Combine(Path.GetTempPath(), $"lnfvs-authsock-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");
    private readonly RSA _key = RSA.Create(2048);
    private WebApplication? _app;
    private HttpClient _http = null!;

    private string Socket => Path.Combine(_sockDir, "api.sock");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_state);
        Directory.CreateDirectory(_sockDir);
        File.SetUnixFileMode(_sockDir, (UnixFileMode)0b111_101_101);
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = "k1" });
        File.WriteAllText(Path.Combine(_state, "jwks.json"), JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", kid = "k1", use = "sig", n = jwk.N, e = jwk.E } } }));
        File.WriteAllText(Path.Combine(_state, "sso.json"), """{"issuer": "https://idp.example", "audience": "lightnfv", "jwksFile": "jwks.json", "tenantClaim": "org", "roleClaim": "lnfv_role"}""");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var tag = Path.GetFileName(_state)[^6..];
        var options = new DaemonOptions
        {
            Host = new PlatformOptions { StateDirectory = _state, LabNamespace = $"lnfvs-a{tag}", CgroupParent = $"lightnfv-atest-{tag}", Subnet = "10.73.0.0/16" },
            UnixSocket = Socket,
            RunLoops = false,
            Listen = new IPEndPoint(IPAddress.Loopback, port),
        };
        _app = ServerApp.Build([], options);
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _key.Dispose();
        Directory.Delete(_state, recursive: true);
        Directory.Delete(_sockDir, recursive: true);
    }

    private string Token(string name, string tenant, Role role, DateTimeOffset? expires = null) =>
        _app!.Services.GetRequiredService<PlatformStore>().CreateToken(name, tenant, role, expires).Secret;

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? bearer, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return await _http.SendAsync(request);
    }

    private string Jwt(RSA key, string role, string? tenant, string issuer = "https://idp.example")
    {
        var claims = new Dictionary<string, object> { ["sub"] = "alice", ["lnfv_role"] = role };
        if (tenant is not null)
        {
            claims["org"] = tenant;
        }
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "lightnfv",
            Claims = claims,
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256),
        });
    }

    [Fact]
    public async Task Tcp_without_a_token_or_with_a_bad_expired_or_revoked_one_is_401_with_a_challenge()
    {
        var none = await Send(HttpMethod.Get, "api/v1/vnfs", null);
        none.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        none.Headers.WwwAuthenticate.ToString().ShouldStartWith("Bearer");
        (await none.Content.ReadAsStringAsync()).ShouldContain("Bearer");
        (await Send(HttpMethod.Get, "api/v1/vnfs", "lnfv_notatoken")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var expired = Token("old", "a", Role.Viewer, DateTimeOffset.UtcNow.AddSeconds(-1));
        (await Send(HttpMethod.Get, "api/v1/vnfs", expired)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var revoked = Token("gone", "a", Role.Viewer);
        (await Send(HttpMethod.Get, "api/v1/vnfs", revoked)).StatusCode.ShouldBe(HttpStatusCode.OK);
        _app!.Services.GetRequiredService<PlatformStore>().RevokeToken("gone");
        (await Send(HttpMethod.Get, "api/v1/vnfs", revoked)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // The probes and the API's description stay open.
        (await Send(HttpMethod.Get, "healthz", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Send(HttpMethod.Get, "openapi/v1.json", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_viewer_cannot_mutate_an_operator_cannot_manage_tokens_and_an_admin_can()
    {
        var viewer = Token("v", "a", Role.Viewer);
        var operatorToken = Token("o", "a", Role.Operator);
        var admin = Token("root", "default", Role.Admin);
        (await Send(HttpMethod.Post, "api/v1/vnfs/web/terminate", viewer)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Send(HttpMethod.Get, "api/v1/tokens", operatorToken)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var created = await Send(HttpMethod.Post, "api/v1/tokens", admin, new { name = "ci", tenant = "b", role = "operator", expires = "30d" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        secret.ShouldStartWith(PlatformStore.TokenPrefix);
        (await Send(HttpMethod.Get, "api/v1/vnfs", secret)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Listed without the secret; shown once only.
        var listed = await (await Send(HttpMethod.Get, "api/v1/tokens", admin)).Content.ReadAsStringAsync();
        listed.ShouldContain("\"ci\"");
        listed.ShouldNotContain(secret);
        (await Send(HttpMethod.Post, "api/v1/tokens", admin, new { name = "x", role = "boss" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_jwt_signed_by_the_configured_key_is_accepted_and_one_signed_by_another_is_refused()
    {
        (await Send(HttpMethod.Get, "api/v1/vnfs", Jwt(_key, "viewer", "a"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Send(HttpMethod.Post, "api/v1/vnfs/web/terminate", Jwt(_key, "viewer", "a"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        using var other = RSA.Create(2048);
        (await Send(HttpMethod.Get, "api/v1/vnfs", Jwt(other, "admin", null))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Send(HttpMethod.Get, "api/v1/vnfs", Jwt(_key, "admin", null, issuer: "https://evil.example"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Send(HttpMethod.Get, "api/v1/vnfs", Jwt(_key, "viewer", null))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Root_on_the_unix_socket_needs_no_token_and_another_uid_gets_401()
    {
        File.GetUnixFileMode(Socket).ShouldBe(ServerApp.SocketMode);
        using (var root = Host.UnixSockets.UnixHttp.Create(Socket))
        {
            (await root.GetAsync("api/v1/tokens")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv") || !File.Exists("/usr/bin/curl"))
        {
            Assert.Skip("needs root, setpriv and curl to call the socket as uid 65534");
        }
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/setpriv",
            ["--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", Socket, "http://lightnfv/api/v1/vnfs"])
        { RedirectStandardOutput = true })!;
        var code = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        code.ShouldBe("401");
    }
}

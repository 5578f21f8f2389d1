using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LightNfv.Backends.Docker;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Tests.Docker;

/// <summary>Request building and answer parsing of the Engine API client, over a fake transport that records what it is sent.</summary>
public class EngineClientTests
{
    private sealed class FakeEngine(Func<HttpRequestMessage, string?, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<(HttpMethod Method, string Path, string? Body, string? ContentType)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add((request.Method, request.RequestUri!.PathAndQuery, body, request.Content?.Headers.ContentType?.MediaType));
            return answer(request, body);
        }
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static ContainerRequest Iperf3() => new()
    {
        Image = "lightnfv/vnf:f751100768df",
        Cmd = ["/usr/bin/iperf3", "--server", "--port", "5201"],
        Env = new Dictionary<string, string> { ["LANG"] = "C.UTF-8", ["A"] = "1" },
        Hostname = "iperf3",
        MemoryBytes = 64L << 20,
        Cpus = 1.5,
        Pids = 64,
        Capabilities = ["CAP_NET_BIND_SERVICE"],
        CgroupParent = "/lightnfv/docker",
        Labels = new Dictionary<string, string> { ["org.lightnfv.instance"] = "0123456789ab" },
    };

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    [Fact]
    public void Create_body_has_no_docker_network_the_limits_and_the_lockdown()
    {
        var body = Iperf3().ToJson();
        body["Image"]!.GetValue<string>().ShouldBe("lightnfv/vnf:f751100768df");
        Strings(body["Cmd"]).ShouldBe(["/usr/bin/iperf3", "--server", "--port", "5201"]);
        Strings(body["Entrypoint"]).ShouldBeEmpty();
        Strings(body["Env"]).ShouldBe(["A=1", "LANG=C.UTF-8"]); // sorted: the body is deterministic
        body["Hostname"]!.GetValue<string>().ShouldBe("iperf3");
        body["Labels"]!["org.lightnfv.instance"]!.GetValue<string>().ShouldBe("0123456789ab");

        var host = body["HostConfig"]!;
        host["NetworkMode"]!.GetValue<string>().ShouldBe("none");
        host["Memory"]!.GetValue<long>().ShouldBe(64L << 20);
        host["MemorySwap"]!.GetValue<long>().ShouldBe(64L << 20);
        host["NanoCpus"]!.GetValue<long>().ShouldBe(1_500_000_000L);
        host["PidsLimit"]!.GetValue<long>().ShouldBe(64L);
        Strings(host["CapDrop"]).ShouldBe(["ALL"]);
        Strings(host["CapAdd"]).ShouldBe(["CAP_NET_BIND_SERVICE"]);
        Strings(host["SecurityOpt"]).ShouldBe(["no-new-privileges"]);
        host["ReadonlyRootfs"]!.GetValue<bool>().ShouldBeTrue();
        host["Tmpfs"]!["/tmp"]!.GetValue<string>().ShouldBe("rw,nosuid,nodev,size=16m");
        host["Tmpfs"]!["/run"]!.GetValue<string>().ShouldBe("rw,nosuid,nodev,size=4m");
        host["CgroupParent"]!.GetValue<string>().ShouldBe("/lightnfv/docker");
        host["LogConfig"]!["Type"]!.GetValue<string>().ShouldBe("json-file");
        host["RestartPolicy"]!["Name"]!.GetValue<string>().ShouldBe("no");
    }

    [Fact]
    public void Without_a_cgroup_parent_docker_chooses_it()
    {
        var body = (Iperf3() with { CgroupParent = null }).ToJson();
        body["HostConfig"]!.AsObject().ContainsKey("CgroupParent").ShouldBeFalse();
    }

    [Fact]
    public async Task Create_posts_the_body_under_the_negotiated_version_and_returns_the_id()
    {
        var fake = new FakeEngine((request, _) => request.RequestUri!.AbsolutePath switch
        {
            "/_ping" => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("OK"), Headers = { { "Api-Version", "1.40" } } },
            _ => Json(HttpStatusCode.Created, """{"Id":"abc123","Warnings":[]}"""),
        });
        using var client = new EngineClient(fake, "fake");
        (await client.PingAsync(CancellationToken.None)).ShouldBe("1.40"); // older daemon: its version
        (await client.CreateContainerAsync("lightnfv-0123456789ab", Iperf3(), CancellationToken.None)).ShouldBe("abc123");

        var (method, path, body, contentType) = fake.Requests[^1];
        method.ShouldBe(HttpMethod.Post);
        path.ShouldBe("/v1.40/containers/create?name=lightnfv-0123456789ab");
        contentType.ShouldBe("application/json");
        JsonNode.Parse(body!)!["HostConfig"]!["NetworkMode"]!.GetValue<string>().ShouldBe("none");
    }

    [Fact]
    public async Task A_newer_daemon_is_spoken_to_in_our_version_and_a_too_old_one_is_refused()
    {
        using var newer = new EngineClient(new FakeEngine((_, _) =>
            new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("OK"), Headers = { { "Api-Version", "1.47" } } }), "fake");
        (await newer.PingAsync(CancellationToken.None)).ShouldBe(EngineClient.MaxApiVersion);

        using var old = new EngineClient(new FakeEngine((_, _) =>
            new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("OK"), Headers = { { "Api-Version", "1.24" } } }), "fake");
        (await Should.ThrowAsync<EngineException>(() => old.PingAsync(CancellationToken.None))).Message.ShouldContain("too old");
    }

    [Fact]
    public async Task An_error_message_from_dockerd_names_the_operation()
    {
        var fake = new FakeEngine((_, _) => Json(HttpStatusCode.Conflict,
            """{"message":"Conflict. The container name \"/lightnfv-0123456789ab\" is already in use"}"""));
        using var client = new EngineClient(fake, "fake");
        var e = await Should.ThrowAsync<EngineException>(() => client.CreateContainerAsync("lightnfv-0123456789ab", Iperf3(), CancellationToken.None));
        e.Kind.ShouldBe(ErrorKind.Host);
        e.StatusCode.ShouldBe(409);
        e.Message.ShouldBe("dockerd: create container lightnfv-0123456789ab: Conflict. The container name \"/lightnfv-0123456789ab\" is already in use");
        e.IsNotFound.ShouldBeFalse();
    }

    [Fact]
    public async Task A_plain_text_error_body_is_used_as_is()
    {
        var fake = new FakeEngine((_, _) => new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = new StringContent("page not found\n") });
        using var client = new EngineClient(fake, "fake");
        var e = await Should.ThrowAsync<EngineException>(() => client.StartContainerAsync("x", CancellationToken.None));
        e.Message.ShouldBe("dockerd: start container x: page not found");
    }

    [Fact]
    public async Task Not_found_is_null_for_inspect_and_false_for_remove()
    {
        var fake = new FakeEngine((_, _) => Json(HttpStatusCode.NotFound, """{"message":"No such container: x"}"""));
        using var client = new EngineClient(fake, "fake");
        (await client.InspectContainerAsync("x", CancellationToken.None)).ShouldBeNull();
        (await client.InspectImageAsync("lightnfv/vnf:x", CancellationToken.None)).ShouldBeNull();
        (await client.RemoveContainerAsync("x", force: true, CancellationToken.None)).ShouldBeFalse();
        fake.Requests[^1].Path.ShouldBe("/v1.41/containers/x?force=1&v=1");
        fake.Requests[^2].Path.ShouldBe("/v1.41/images/lightnfv%2Fvnf%3Ax/json");
        var e = await Should.ThrowAsync<EngineException>(() => client.StopContainerAsync("x", TimeSpan.FromMilliseconds(1500), CancellationToken.None));
        e.IsNotFound.ShouldBeTrue();
        fake.Requests[^1].Path.ShouldBe("/v1.41/containers/x/stop?t=2");
    }

    [Fact]
    public async Task Start_and_stop_accept_not_modified()
    {
        var fake = new FakeEngine((_, _) => new HttpResponseMessage(HttpStatusCode.NotModified));
        using var client = new EngineClient(fake, "fake");
        await client.StartContainerAsync("x", CancellationToken.None);
        await client.StopContainerAsync("x", TimeSpan.Zero, CancellationToken.None);
        fake.Requests.Select(r => r.Path).ShouldBe(["/v1.41/containers/x/start", "/v1.41/containers/x/stop?t=0"]);
    }

    [Fact]
    public async Task Import_streams_the_tarball_and_reads_the_image_id_from_the_progress_stream()
    {
        var tar = Path.Combine(Path.GetTempPath(), $"lnfv-engine-{Guid.NewGuid():N}.tar.gz");
        await File.WriteAllBytesAsync(tar, [0x1f, 0x8b, 8, 0, 1, 2, 3]);
        try
        {
            var fake = new FakeEngine((_, _) => Json(HttpStatusCode.OK, "{\"status\":\"Importing\"}\r\n{\"status\":\"sha256:11c079b16da9\"}\r\n"));
            using var client = new EngineClient(fake, "fake");
            (await client.ImportImageAsync(tar, "lightnfv/vnf", "f751100768df", CancellationToken.None)).ShouldBe("sha256:11c079b16da9");
            var (method, path, body, contentType) = fake.Requests.Single();
            method.ShouldBe(HttpMethod.Post);
            path.ShouldBe("/v1.41/images/create?fromSrc=-&repo=lightnfv%2Fvnf&tag=f751100768df");
            contentType.ShouldBe("application/x-tar");
            body!.Length.ShouldBeGreaterThan(0);
        }
        finally
        {
            File.Delete(tar);
        }
    }

    [Fact]
    public void An_import_that_fails_midway_is_an_error_though_the_status_was_200()
    {
        var e = Should.Throw<EngineException>(() => EngineClient.ParseImportResult(
            """{"status":"Importing"}{"errorDetail":{"message":"archive/tar: invalid tar header"},"error":"archive/tar: invalid tar header"}""", "import x"));
        e.Message.ShouldBe("dockerd: import x: archive/tar: invalid tar header");
    }

    [Fact]
    public void Container_state_is_parsed()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""
            {"Id":"f8c1","Name":"/lightnfv-0123456789ab","LogPath":"/d/containers/f8c1/f8c1-json.log",
             "State":{"Status":"exited","Running":false,"Pid":0,"ExitCode":137,"OOMKilled":true,"Error":"",
                      "StartedAt":"2026-11-22T03:52:40.57725274Z","FinishedAt":"2026-11-22T03:53:00Z"}}
            """);
        var info = EngineClient.ParseContainer(doc.RootElement);
        info.Name.ShouldBe("lightnfv-0123456789ab");
        info.Running.ShouldBeFalse();
        info.ExitCode.ShouldBe(137);
        info.OomKilled.ShouldBeTrue();
        info.Error.ShouldBeNull();
        info.StartedAt!.Value.Year.ShouldBe(2026);
        info.LogPath.ShouldBe("/d/containers/f8c1/f8c1-json.log");
    }

    [Fact]
    public void Log_frames_are_demultiplexed()
    {
        byte[] Frame(byte stream, string text)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            return [stream, 0, 0, 0, 0, 0, (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];
        }
        EngineClient.Demultiplex([.. Frame(1, "out\n"), .. Frame(2, "err\n")]).ShouldBe("out\nerr\n");
        EngineClient.Demultiplex(Encoding.UTF8.GetBytes("raw text")).ShouldBe("raw text");
    }

    [Fact]
    public async Task No_daemon_at_the_socket_is_an_error_naming_it()
    {
        using var client = new EngineClient(Path.Combine(Path.GetTempPath(), $"lnfv-no-such-{Guid.NewGuid():N}.sock"));
        var e = await Should.ThrowAsync<EngineException>(() => client.PingAsync(CancellationToken.None));
        e.StatusCode.ShouldBe(0);
        e.Message.ShouldStartWith("dockerd: ping: no answer on ");
    }
}

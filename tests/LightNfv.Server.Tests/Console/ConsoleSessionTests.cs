using System.Net;
using System.Text.RegularExpressions;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;
using LightNfv.Server.Console;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LightNfv.Server.Tests.Console;

/// <summary>
/// The console's sign-in over the real pipeline (in-process server, real store and tokens): the cookie is the
/// bearer sealed by this daemon, pages without one go to the sign-in page, and every change made with the cookie needs
/// the page's antiforgery token, the API's included.
/// </summary>
public sealed partial class ConsoleSessionTests : IDisposable
{
    private readonly ServerFactory _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Signing_in_sets_a_sealed_httponly_strict_cookie_and_pages_act_in_the_tokens_tenant()
    {
        var secret = Store.CreateToken("op-a", "a", Role.Operator, null).Secret;
        using var http = Client();
        using var signedIn = await SignIn(http, secret);
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        signedIn.Headers.Location!.ToString().ShouldBe("/ui/host");
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ConsoleCookie.Name + "=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=strict", Case.Insensitive);
        cookie.ShouldNotContain(secret, customMessage: "the cookie holds the bearer sealed, never in clear");

        var page = await http.GetStringAsync("/ui/");
        page.ShouldContain("token:op-a");
        page.ShouldContain("tenant a");
    }

    [Fact]
    public async Task A_bad_token_comes_back_to_the_sign_in_page_with_the_daemons_words_and_no_session()
    {
        using var http = Client();
        using var signedIn = await SignIn(http, "lnfv_nosuchtoken");
        using var page = await http.GetAsync(signedIn.Headers.Location);
        page.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var to = WebUtility.UrlDecode(page.Headers.Location!.ToString());
        to.ShouldStartWith("/ui/login?");
        to.ShouldContain("the token is unknown, revoked or expired");
    }

    [Fact]
    public async Task A_cookie_this_daemon_did_not_seal_is_refused()
    {
        using var http = Client();
        using var req = new HttpRequestMessage(HttpMethod.Get, "/ui/");
        req.Headers.Add("Cookie", $"{ConsoleCookie.Name}=lnfv_forged");
        using var r = await http.SendAsync(req);
        r.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        WebUtility.UrlDecode(r.Headers.Location!.ToString()).ShouldContain("sign in again");
    }

    [Fact]
    public async Task Signing_in_without_the_pages_antiforgery_token_is_refused()
    {
        using var http = Client();
        using var r = await http.PostAsync("/ui/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "lnfv_x" }));
        r.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_change_made_with_the_cookie_needs_the_pages_token_and_the_roles_rule_still_decides()
    {
        var operatorSecret = Store.CreateToken("op-a", "a", Role.Operator, null).Secret;
        var viewerSecret = Store.CreateToken("view-a", "a", Role.Viewer, null).Secret;
        using var op = Client();
        (await SignIn(op, operatorSecret)).Dispose();

        // Without the token (what another site's page could send, were the cookie SameSite=Lax): refused.
        using var forged = await op.PostAsync("/api/v1/descriptors/", Yaml("a", "forged"));
        forged.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await forged.Content.ReadAsStringAsync()).ShouldContain(ConsoleCsrf.HeaderName);

        // With the token of a console page: the operator's change is made.
        var csrf = Csrf(await op.GetStringAsync("/ui/"));
        using var made = await op.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Post, "/api/v1/descriptors/") { Content = Yaml("a", "fine") }, csrf));
        made.StatusCode.ShouldBe(HttpStatusCode.Created, await made.Content.ReadAsStringAsync());

        // A viewer with a valid page token is still refused by the access table.
        using var viewer = Client();
        (await SignIn(viewer, viewerSecret)).Dispose();
        var viewerCsrf = Csrf(await viewer.GetStringAsync("/ui/"));
        using var refused = await viewer.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Post, "/api/v1/descriptors/") { Content = Yaml("a", "nope") }, viewerCsrf));
        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("needs the operator role");
    }

    [Fact]
    public async Task Another_tenants_vnf_reads_as_absent_on_its_page()
    {
        var secret = Store.CreateToken("op-a", "a", Role.Operator, null).Secret;
        using var http = Client();
        (await SignIn(http, secret)).Dispose();
        using var r = await http.GetAsync("/ui/vnfs/b/web");
        r.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await r.Content.ReadAsStringAsync()).ShouldContain("is not instantiated");
    }

    [Theory]
    [InlineData("//evil.example/ui")]
    [InlineData("https://evil.example/")]
    [InlineData("/api/v1/tokens")]
    [InlineData("/ui\\..\\x")]
    public async Task After_signing_in_the_browser_goes_only_to_a_console_page(string next)
    {
        var secret = Store.CreateToken("op-a", "a", Role.Operator, null).Secret;
        using var http = Client();
        using var r = await SignIn(http, secret, next);
        r.Headers.Location!.ToString().ShouldBe("/ui/");
    }

    private PlatformStore Store => (PlatformStore)_server.Services.GetService(typeof(PlatformStore))!;

    private HttpClient Client() => _server.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<HttpResponseMessage> SignIn(HttpClient http, string bearer, string next = "/ui/host")
    {
        var form = await http.GetStringAsync("/ui/login");
        return await http.PostAsync("/ui/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = bearer,
            ["next"] = next,
            [ConsoleCsrf.FieldName] = FieldValue().Match(form).Groups[1].Value,
        }));
    }

    private static string Csrf(string page)
    {
        var token = MetaValue().Match(page).Groups[1].Value;
        token.ShouldNotBeNullOrEmpty();
        return token;
    }

    private static HttpRequestMessage WithToken(HttpRequestMessage r, string csrf)
    {
        r.Headers.Add(ConsoleCsrf.HeaderName, csrf);
        return r;
    }

    private static StringContent Yaml(string tenant, string name) => new(TenantDescriptors.Yaml(name, tenant), System.Text.Encoding.UTF8, "application/yaml");

    [GeneratedRegex("name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex FieldValue();

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]+)\"")]
    private static partial Regex MetaValue();
}

using System.CommandLine;
using System.Text.Json;
using LightNfv.Cli.Commands.Output;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv token create|ls|revoke`: API tokens for a tenant and role, through the daemon when one answers, else on the
/// store. `create` prints the secret once (on stdout alone, so `$(lightnfv token create ...)` captures it); the store
/// keeps only its hash.
/// </summary>
public static class TokenCommand
{
    public static Command Create()
    {
        var cmd = new Command("token", "Manage API tokens: create, ls, revoke (admins only)");
        var name = new Argument<string>("name") { Description = "Token name, e.g. ci-deploy" };

        var role = new Option<string>("--role") { Description = "viewer (read its tenant), operator (lifecycle in its tenant) or admin (everything)", DefaultValueFactory = _ => "viewer" };
        var expires = new Option<string?>("--expires") { Description = "Lifetime, e.g. 90m, 12h or 30d (default: until revoked)" };
        var createOutput = OutputFormat.Create(OutputFormat.JsonFormat, OutputFormat.Yaml);
        var create = new Command("create", "Create a token in --tenant with --role; prints the token, shown this once") { name, role, expires, createOutput };
        create.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            var request = new TokenRequest(pr.GetValue(name), TenantOption.Resolve(pr).Name, pr.GetValue(role), pr.GetValue(expires));
            var made = await p.CreateTokenAsync(request, token).ConfigureAwait(false);
            if (!OutputFormat.TryPrint(pr.GetValue(createOutput), made, _ => Json.Text(made, "token")))
            {
                Console.WriteLine(Json.Text(made, "token"));
                var record = made.GetProperty("record");
                Console.Error.WriteLine($"token '{Json.Text(record, "name")}' ({Json.Text(record, "role")} of tenant '{Json.Text(record, "tenant")}'): keep it now, it is not shown again; use it with --token, LIGHTNFV_TOKEN or 'token:' in ~/.config/lightnfv/config.yaml");
            }
            return 0;
        }, ct));
        cmd.Subcommands.Add(create);

        var lsOutput = OutputFormat.Create();
        var ls = new Command("ls", "List the tokens (never their secrets)") { lsOutput };
        ls.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            var tokens = await p.TokensAsync(token).ConfigureAwait(false);
            if (!OutputFormat.TryPrint(pr.GetValue(lsOutput), tokens, t => Json.Text(t, "name")))
            {
                Table.Write(Console.Out, ["NAME", "TENANT", "ROLE", "CREATED", "EXPIRES", "STATE"],
                    tokens.EnumerateArray().Select(t => (IReadOnlyList<string>)[Json.Text(t, "name"), Json.Text(t, "tenant"), Json.Text(t, "role"),
                        PsCommand.Ago(t.GetProperty("createdAt").GetDateTimeOffset()), When(t, "expiresAt"), State(t)]));
            }
            return 0;
        }, ct));
        cmd.Subcommands.Add(ls);

        var revoke = new Command("revoke", "Revoke a token: it stops authenticating at once, and stays listed as revoked") { name };
        revoke.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            await p.RevokeTokenAsync(pr.GetValue(name)!, token).ConfigureAwait(false);
            Console.WriteLine(pr.GetValue(name));
            return 0;
        }, ct));
        cmd.Subcommands.Add(revoke);
        return cmd;
    }

    private static string When(JsonElement t, string property) =>
        t.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetDateTimeOffset().ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) : "never";

    private static string State(JsonElement t) =>
        t.TryGetProperty("revokedAt", out var r) && r.ValueKind == JsonValueKind.String ? "revoked"
        : t.TryGetProperty("expiresAt", out var e) && e.ValueKind == JsonValueKind.String && e.GetDateTimeOffset() <= DateTimeOffset.UtcNow ? "expired"
        : "active";
}

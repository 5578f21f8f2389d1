using System.CommandLine;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>The tenant a command acts in, and whether the operator chose it (so a descriptor naming another one is refused).</summary>
public sealed record TenantScope(string Name, bool Explicit, string Source);

/// <summary>
/// `--tenant NAME` on every command (kubectl's --namespace): the flag, else $LIGHTNFV_TENANT, else `tenant:` in
/// $XDG_CONFIG_HOME/lightnfv/config.yaml (~/.config/lightnfv/config.yaml), else `default`. `get` and `ps` list that
/// tenant's objects (-A: every tenant), `vnf` and `apply` name VNFs in it.
/// </summary>
public static class TenantOption
{
    public const string DefaultTenant = "default";

    public static readonly Option<string?> Option = new("--tenant")
    {
        Description = "Tenant to act in (default: $LIGHTNFV_TENANT, then 'tenant:' in ~/.config/lightnfv/config.yaml, then 'default')",
        Recursive = true,
    };

    /// <summary>`-A, --all-tenants` of the list commands (kubectl's --all-namespaces).</summary>
    public static Option<bool> AllTenants() => new("--all-tenants", "-A") { Description = "List the objects of every tenant, not only --tenant's" };

    public static TenantScope Resolve(ParseResult pr)
    {
        if (pr.GetValue(Option) is { } flag)
        {
            return new(Check(flag, "--tenant"), true, "--tenant");
        }
        if (Environment.GetEnvironmentVariable("LIGHTNFV_TENANT") is { Length: > 0 } env)
        {
            return new(Check(env, "LIGHTNFV_TENANT"), true, "LIGHTNFV_TENANT");
        }
        if (ConfigPath() is { } path && File.Exists(path) && FromConfig(path, "tenant") is { } configured)
        {
            return new(Check(configured, $"tenant in {path}"), true, path);
        }
        return new(DefaultTenant, false, "default");
    }

    /// <summary>The tenant to filter a list by: null (every tenant) with -A.</summary>
    public static string? ListScope(ParseResult pr, Option<bool>? all) => all is not null && pr.GetValue(all) ? null : Requested(pr);

    /// <summary>
    /// The tenant to name in a request to the daemon: the one chosen, else `default`; but with a token and no choice,
    /// none, so the daemon acts in the token's own tenant (a token of team-a without --tenant works in team-a).
    /// </summary>
    public static string? Requested(ParseResult pr)
    {
        var scope = Resolve(pr);
        return !scope.Explicit && TokenOption.Resolve() is not null ? null : scope.Name;
    }

    /// <summary>The API's query parameter for a tenant (empty for every tenant).</summary>
    public static string Query(string? tenant, char separator = '?') => tenant is null ? "" : $"{separator}tenant={Uri.EscapeDataString(tenant)}";

    internal static string? ConfigPath()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var dir = xdg is { Length: > 0 } ? xdg : home is { Length: > 0 } ? Path.Combine(home, ".config") : null;
        return dir is null ? null : Path.Combine(dir, "lightnfv", "config.yaml");
    }

    /// <summary>A key of the config file (`tenant:`, `token:`); other keys are left alone.</summary>
    internal static string? FromConfig(string path, string key)
    {
        try
        {
            var yaml = new YamlDotNet.RepresentationModel.YamlStream();
            using (var reader = new StreamReader(path))
            {
                yaml.Load(reader);
            }
            if (yaml.Documents.Count == 0)
            {
                return null;
            }
            if (yaml.Documents[0].RootNode is not YamlDotNet.RepresentationModel.YamlMappingNode map)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"{path}: not a mapping; write e.g. 'tenant: NAME'");
            }
            return map.Children.TryGetValue(new YamlDotNet.RepresentationModel.YamlScalarNode(key), out var t)
                ? (t as YamlDotNet.RepresentationModel.YamlScalarNode)?.Value ?? throw new LightNfvException(ErrorKind.Invalid, $"{path}: {key} is not a single value; write '{key}: VALUE'")
                : null;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"{path} (line {e.Start.Line}): not YAML ({e.Message}); write e.g. 'tenant: NAME'");
        }
    }

    /// <summary>A tenant is a DNS label, as metadata.tenant is in a descriptor.</summary>
    private static string Check(string tenant, string where) =>
        System.Text.RegularExpressions.Regex.IsMatch(tenant, "^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$")
            ? tenant
            : throw new LightNfvException(ErrorKind.Invalid, $"{where}: '{tenant}' is not a tenant name; use lower-case letters, digits and '-' (at most 40, as metadata.tenant), e.g. 'team-a'");
}

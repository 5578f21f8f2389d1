using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Core.Descriptors;

/// <summary>
/// Reads and validates a VNF descriptor (apiVersion lightnfv/v1, kind Vnf).
/// Works on the YAML representation model rather than object deserialization so that every
/// error names the field path, the offending value and its line, and says what is accepted.
/// Syntax and the rules every technology shares only: whether a technology takes a field (spec.runtime, spec.accel)
/// or a value (minimum memory) is its backend's rule, checked on admission (BackendRegistry.Admit).
/// </summary>
public static partial class DescriptorParser
{
    private const string Document = "(document)";

    private static readonly string[] s_topFields = ["apiVersion", "kind", "metadata", "spec"];
    private static readonly string[] s_metadataFields = ["name", "tenant"];
    private static readonly string[] s_specFields = ["technology", "runtime", "app", "resources", "network", "health", "scaling", "security", "accel"];
    private static readonly string[] s_accels = ["auto", "kvm", "tcg", "process"];
    private static readonly string[] s_appFields = ["builtin", "command", "env", "capabilities", "files"];
    private static readonly string[] s_runtimes = ["crun", "runc"];
    private static readonly string[] s_resourceFields = ["vcpus", "memoryMiB", "pids", "cpuset", "bandwidthMbps"];
    private static readonly string[] s_networkFields = ["address", "ports"];

    public const string DefaultTenant = "default";

    // Integer ranges: (min, max) per field.
    private const int MinVcpus = 1, MaxVcpus = 64;
    private const int MinMemoryMiB = 4, MaxMemoryMiB = 262144;
    private const int MinPids = 8, MaxPids = 32768;
    private const int MinBandwidthMbps = 1, MaxBandwidthMbps = 100_000;
    private const int MinPort = 1, MaxPort = 65535;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")]
    private static partial Regex DottedQuad();

    /// <summary>Reads a descriptor file; a missing file is <see cref="ErrorKind.NotFound"/>.</summary>
    public static VnfDescriptor ParseFile(string path) => Parse(DescriptorLimits.ReadFile(path));

    /// <summary>
    /// Parses and validates descriptor YAML; throws <see cref="DescriptorException"/> naming the field on any problem.
    /// The limits of <see cref="DescriptorLimits"/> are checked before or while the text is loaded.
    /// </summary>
    public static VnfDescriptor Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        DescriptorLimits.CheckSize(yaml);

        var stream = new YamlStream();
        try
        {
            stream.Load(DescriptorLimits.Guard(new Parser(new StringReader(yaml))));
        }
        catch (YamlException e)
        {
            throw new DescriptorException(Document, $"not valid YAML: {e.Message}", (int)e.Start.Line, (int)e.Start.Column);
        }

        if (stream.Documents.Count == 0)
        {
            throw new DescriptorException(Document,
                $"the descriptor is empty; expected a mapping starting with 'apiVersion: {VnfDescriptor.ApiVersion}' and 'kind: {VnfDescriptor.Kind}'");
        }
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            throw new DescriptorException(Document,
                $"found {stream.Documents.Count} YAML documents; a descriptor file holds exactly one VNF (remove the extra '---' sections)",
                Line(second), Column(second));
        }

        var root = stream.Documents[0].RootNode;
        if (IsNull(root))
        {
            throw new DescriptorException(Document,
                $"the descriptor is empty; expected a mapping starting with 'apiVersion: {VnfDescriptor.ApiVersion}' and 'kind: {VnfDescriptor.Kind}'",
                Line(root), Column(root));
        }
        if (root is not YamlMappingNode top)
        {
            throw new DescriptorException(Document,
                $"the top level must be a mapping (key: value lines such as 'apiVersion: {VnfDescriptor.ApiVersion}'), got {Describe(root)}",
                Line(root), Column(root));
        }

        CheckControlCharacters(top);
        var fields = Fields(top, "", s_topFields);

        var apiVersion = RequiredString(fields, top, "", "apiVersion");
        if (apiVersion != VnfDescriptor.ApiVersion)
        {
            throw Error(fields["apiVersion"], "apiVersion",
                $"'{apiVersion}' is not supported; use 'apiVersion: {VnfDescriptor.ApiVersion}'");
        }
        var kind = RequiredString(fields, top, "", "kind");
        if (kind != VnfDescriptor.Kind)
        {
            throw Error(fields["kind"], "kind", $"'{kind}' is not supported; use 'kind: {VnfDescriptor.Kind}'");
        }

        var metadata = ParseMetadata(RequiredMapping(fields, top, "", "metadata"));
        var spec = ParseSpec(RequiredMapping(fields, top, "", "spec"));

        return new VnfDescriptor(metadata, spec) { Source = yaml };
    }

    private static VnfMetadata ParseMetadata(YamlMappingNode node)
    {
        const string path = "metadata";
        var fields = Fields(node, path, s_metadataFields);
        var name = RequiredString(fields, node, path, "name");
        CheckDnsLabel(fields["name"], "metadata.name", name);
        var tenant = OptionalString(fields, path, "tenant");
        if (tenant is null)
        {
            tenant = DefaultTenant;
        }
        else
        {
            CheckDnsLabel(fields["tenant"], "metadata.tenant", tenant);
        }
        return new VnfMetadata(name, tenant);
    }

    private static void CheckDnsLabel(YamlNode node, string path, string value)
    {
        if (!DnsLabel().IsMatch(value))
        {
            throw Error(node, path,
                $"'{value}' is not a valid name; use 1 to 40 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. 'iperf3')");
        }
    }

    private static VnfSpec ParseSpec(YamlMappingNode node)
    {
        const string path = "spec";
        var fields = Fields(node, path, s_specFields);

        var techName = RequiredString(fields, node, path, "technology");
        if (!TechnologyNames.TryParse(techName, out var technology))
        {
            throw Error(fields["technology"], "spec.technology",
                $"'{techName}' is not a known technology; accepted values are {string.Join(", ", TechnologyNames.All)}");
        }

        var appNode = RequiredMapping(fields, node, path, "app");
        var resources = OptionalMapping(fields, path, "resources") is { } r ? ParseResources(r) : ResourceSpec.Default;
        var network = OptionalMapping(fields, path, "network");

        // The network is read first: a built-in's argv depends on the declared port.
        var (address, ports) = network is null ? (null, []) : ParseNetwork(network);
        var (app, defaultPort) = ParseApp(appNode, ports);
        if (ports.Count == 0 && defaultPort is { } p)
        {
            ports = [p];
        }

        string? runtime = null;
        if (fields.TryGetValue("runtime", out var runtimeNode) && !IsNull(runtimeNode))
        {
            runtime = Scalar(runtimeNode, "spec.runtime", "a runtime name");
            if (!s_runtimes.Contains(runtime))
            {
                throw Error(runtimeNode, "spec.runtime", $"'{runtime}' is not a supported OCI runtime; accepted values are {string.Join(", ", s_runtimes)} (or omit it to let LightNFV choose)");
            }
        }

        var health = OptionalMapping(fields, path, "health") is { } h ? ParseHealth(h, ports) : null;
        var scaling = OptionalMapping(fields, path, "scaling") is { } sc ? ParseScaling(sc) : null;
        var security = OptionalMapping(fields, path, "security") is { } se ? ParseSecurity(se) : null;
        string? accel = null;
        if (fields.TryGetValue("accel", out var accelNode) && !IsNull(accelNode))
        {
            accel = Scalar(accelNode, "spec.accel", "an accelerator name");
            if (!s_accels.Contains(accel))
            {
                throw Error(accelNode, "spec.accel", $"'{accel}' is not an accelerator; accepted values are {string.Join(", ", s_accels)} (auto: for VMs KVM where it boots Linux, TCG otherwise; for unikernels KVM where it runs, the process tender otherwise)");
            }
        }
        return new VnfSpec(technology, app, resources, new NetworkSpec(address, ports)) { Runtime = runtime, Health = health, Scaling = scaling, Security = security, Accel = accel };
    }
}

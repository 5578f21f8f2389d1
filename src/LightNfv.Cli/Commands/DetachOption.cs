using System.CommandLine;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `stop|rm --detach`: act on a VNF's replica by taking it out of its VNF first, as relabelling a pod out of its
/// ReplicaSet's selector does in Kubernetes: the instance becomes standalone (and leaves the service address), the VNF
/// keeps its replica count and gets a replacement.
/// </summary>
public static class DetachOption
{
    public static Option<bool> Create() => new("--detach")
    {
        Description = "For a VNF's replica: take it out of its VNF first (it becomes standalone; the VNF keeps its replica count and gets a replacement)",
    };
}

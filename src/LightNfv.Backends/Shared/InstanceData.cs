namespace LightNfv.Backends.Shared;

/// <summary>
/// Names of the facts backends record in <see cref="Core.Backends.BackendInstance.Data"/> that mean the same thing in
/// every backend (the bench and the control plane read some of them), so there is one spelling of each.
/// </summary>
public static class InstanceData
{
    public const string Namespace = "netns";
    public const string HostLink = "hostLink";
    public const string Address = "address";
    public const string RunDir = "runDir";
    public const string Process = "process";
    public const string Cgroup = "cgroup";
    public const string Image = "image";
    /// <summary>Uncompressed size of the instance's image tree, in bytes.</summary>
    public const string ImageBytes = "imageBytes";
    /// <summary>Size of the image as tar.gz, in bytes.</summary>
    public const string ImageTarGzBytes = "imageTarGzBytes";
}

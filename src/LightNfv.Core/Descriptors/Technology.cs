namespace LightNfv.Core.Descriptors;

/// <summary>The virtualization families of the draft, one backend each.</summary>
public enum Technology
{
    Process,
    Container,
    Docker,
    Tinyx,
    StandardVm,
    Unikernel,
}

public static class TechnologyNames
{
    private static readonly (Technology Tech, string Name)[] s_names =
    [
        (Technology.Process, "process"),
        (Technology.Container, "container"),
        (Technology.Docker, "docker"),
        (Technology.Tinyx, "tinyx"),
        (Technology.StandardVm, "standardvm"),
        (Technology.Unikernel, "unikernel"),
    ];

    public static IReadOnlyList<string> All { get; } = s_names.Select(n => n.Name).ToArray();

    public static string ToName(this Technology t) => s_names.First(n => n.Tech == t).Name;

    public static bool TryParse(string? name, out Technology technology)
    {
        foreach (var (tech, n) in s_names)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                technology = tech;
                return true;
            }
        }
        technology = default;
        return false;
    }
}

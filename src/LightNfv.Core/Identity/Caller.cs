namespace LightNfv.Core.Identity;

/// <summary>What a caller may do: every tenant (admin), lifecycle in its tenant (operator), read its tenant (viewer).</summary>
public enum Role
{
    Viewer,
    Operator,
    Admin,
}

/// <summary>
/// Who is acting, in the tenant it is scoped to (null: every tenant, admins only). <see cref="Actor"/> names it for
/// the audit trail: <c>uid:0</c>, <c>token:NAME</c>, <c>jwt:SUBJECT</c>, or <c>system:heal</c> for the platform's own loops.
/// </summary>
/// <remarks>
/// The API sets <see cref="Current"/> once per request after authentication and the CLI once per command; the
/// lifecycle path reads it (audit, scoping) instead of every signature carrying it, as Activity.Current does.
/// </remarks>
public sealed record Caller(string Actor, string? Tenant, Role Role)
{
    private static readonly AsyncLocal<Caller?> Ambient = new();

    /// <summary>The local superuser (uid 0 on the unix socket, or the CLI run as root without a daemon).</summary>
    public static Caller Root { get; } = new("uid:0", null, Role.Admin);

    /// <summary>The platform acting on its own (heal, scale, adoption): every tenant.</summary>
    public static Caller System(string what) => new($"system:{what}", null, Role.Admin);

    /// <summary>The caller of the current request or command; <see cref="Root"/> where none was set.</summary>
    public static Caller Current
    {
        get => Ambient.Value ?? Root;
        set => Ambient.Value = value;
    }

    /// <summary>Whether this caller may see objects of <paramref name="tenant"/>.</summary>
    public bool Sees(string tenant) => Tenant is null || string.Equals(Tenant, tenant, StringComparison.Ordinal);

    /// <summary>Whether this caller may change objects (operator or admin).</summary>
    public bool CanMutate => Role >= Role.Operator;

    /// <summary>
    /// Acts as <paramref name="caller"/> until the scope is disposed, then as before: for synchronous code (a value set
    /// inside an async method is undone when it returns anyway), e.g. the adoption pass as <c>Caller.System("adoption")</c>.
    /// </summary>
    public static Scope Use(Caller caller)
    {
        var scope = new Scope(Ambient.Value);
        Ambient.Value = caller;
        return scope;
    }

    /// <summary>Restores the caller that was current before <see cref="Use"/>.</summary>
    public readonly struct Scope(Caller? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

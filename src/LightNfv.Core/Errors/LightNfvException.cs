namespace LightNfv.Core.Errors;

/// <summary>Kinds of failure the user can act on; the CLI maps them to exit codes and the API to HTTP status.</summary>
public enum ErrorKind
{
    /// <summary>The input is malformed or out of range.</summary>
    Invalid,
    /// <summary>The named thing does not exist.</summary>
    NotFound,
    /// <summary>The name or resource is already taken.</summary>
    Conflict,
    /// <summary>The action is not allowed in the instance's current state.</summary>
    State,
    /// <summary>This host cannot do it (missing binary, no /dev/kvm, not root).</summary>
    Unavailable,
    /// <summary>A quota or pool is exhausted.</summary>
    Exhausted,
    /// <summary>The host refused an operation (a syscall or a runtime failed).</summary>
    Host,
    /// <summary>The input is over a size limit (the API answers 413; the CLI exits 2 like any bad input).</summary>
    TooLarge,
    /// <summary>A tenant's quota would be exceeded (the API answers 403; the CLI exits 7).</summary>
    Quota,
    /// <summary>No identity, or one that is bad, expired or revoked (the API answers 401; the CLI exits 8).</summary>
    Unauthenticated,
    /// <summary>The caller's role does not allow the action (the API answers 403; the CLI exits 9).</summary>
    Forbidden,
}

/// <summary>An error with a message written for the operator: what is wrong and how to fix it.</summary>
public class LightNfvException(ErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;
}

/// <summary>A descriptor problem, naming the field by its path (e.g. <c>spec.resources.memoryMiB</c>).</summary>
public sealed class DescriptorException(string field, string message, int line = 0, int column = 0, ErrorKind kind = ErrorKind.Invalid)
    : LightNfvException(kind, Format(field, message, line))
{
    public string Field { get; } = field;
    public string Problem { get; } = message;
    public int Line { get; } = line;
    public int Column { get; } = column;

    private static string Format(string field, string message, int line) =>
        line > 0 ? $"{field} (line {line}): {message}" : $"{field}: {message}";
}

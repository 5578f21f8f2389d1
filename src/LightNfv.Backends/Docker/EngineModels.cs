using LightNfv.Core.Errors;

namespace LightNfv.Backends.Docker;

/// <summary>An error answered by dockerd (or no answer at all), naming the operation.</summary>
public sealed class EngineException(int statusCode, string operation, string message, Exception? inner = null)
    : LightNfvException(ErrorKind.Host, $"dockerd: {operation}: {message}", inner)
{
    /// <summary>The HTTP status, 0 when dockerd did not answer.</summary>
    public int StatusCode { get; } = statusCode;
    public string Operation { get; } = operation;
    public string EngineMessage { get; } = message;
    public bool IsNotFound => StatusCode == 404;
}

public sealed record ImageInfo(string Id, long Size);

public sealed record ContainerInfo(
    string Id,
    string Name,
    string Status,
    bool Running,
    int Pid,
    int ExitCode,
    bool OomKilled,
    DateTimeOffset? StartedAt,
    string? Error,
    string? LogPath);

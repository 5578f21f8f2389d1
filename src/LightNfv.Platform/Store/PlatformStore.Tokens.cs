using System.Security.Cryptography;
using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

/// <summary>An API token as stored: never the secret, only its SHA-256 (see <see cref="PlatformStore.CreateToken"/>).</summary>
public sealed record TokenRecord(string Name, string Tenant, Role Role, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    /// <summary>Whether the token authenticates at <paramref name="now"/>: not revoked and not expired.</summary>
    public bool ValidAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is not { } e || now < e);
}

/// <summary>A token just made: its record and the secret, which is shown this once and never again.</summary>
public sealed record NewToken(TokenRecord Record, string Secret);

public sealed partial class PlatformStore
{
    private const int TokensSchema = 7;

    /// <summary>What every token starts with, so one pasted in a log or a repository is recognisable (and scannable).</summary>
    public const string TokenPrefix = "lnfv_";

    /// <summary>
    /// Schema 7: API tokens. Only a SHA-256 of each secret is kept: the secrets are 32 random bytes, so a fast hash is
    /// enough (nothing to brute-force), and a stolen store does not hold a usable token. No foreign keys: the tenants
    /// and audit steps (schemas 6 and 8) may or may not have run.
    /// </summary>
    private void MigrateToTokens()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var cmd = Command($$"""
            CREATE TABLE IF NOT EXISTS tokens(
                name TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                role TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                expires_at TEXT,
                revoked_at TEXT);
            PRAGMA user_version = {{TokensSchema}};
            """, tx))
        {
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Makes a token; the secret is in the answer only. A name already used (even revoked) is a conflict.</summary>
    public NewToken CreateToken(string name, string tenant, Role role, DateTimeOffset? expiresAt)
    {
        var secret = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            using var cmd = Command("INSERT INTO tokens(name, tenant, role, hash, created_at, expires_at) VALUES ($n, $t, $r, $h, $at, $exp)");
            Bind(cmd, ("$n", name), ("$t", tenant), ("$r", role.ToString().ToLowerInvariant()), ("$h", TokenHash(secret)), ("$at", Stamp(now)),
                ("$exp", expiresAt is { } exp ? Stamp(exp) : null));
            try
            {
                cmd.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                throw new LightNfvException(ErrorKind.Conflict, $"name: a token named '{name}' already exists; choose another name ('lightnfv token ls' lists them)");
            }
        }
        return new NewToken(new TokenRecord(name, tenant, role, now, expiresAt, null), secret);
    }

    /// <summary>Every token, by name (revoked ones too, with when).</summary>
    public IReadOnlyList<TokenRecord> Tokens()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT name, tenant, role, created_at, expires_at, revoked_at FROM tokens ORDER BY name");
            return ReadTokens(cmd);
        }
    }

    /// <summary>The token whose secret is <paramref name="secret"/>, valid or not; null when none has that hash.</summary>
    public TokenRecord? FindToken(string secret)
    {
        var hash = TokenHash(secret);
        lock (_gate)
        {
            // Looked up by hash (an index, not a comparison of secrets), then compared in constant time all the same.
            using var cmd = Command("SELECT name, tenant, role, created_at, expires_at, revoked_at, hash FROM tokens WHERE hash=$h");
            Bind(cmd, ("$h", hash));
            using var r = cmd.ExecuteReader();
            if (!r.Read() || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(r.GetString(6)), Encoding.ASCII.GetBytes(hash)))
            {
                return null;
            }
            return ReadToken(r);
        }
    }

    /// <summary>Revokes a token by name (it stays listed, revoked); NotFound when there is none.</summary>
    public TokenRecord RevokeToken(string name)
    {
        lock (_gate)
        {
            using var cmd = Command("UPDATE tokens SET revoked_at=coalesce(revoked_at, $now) WHERE name=$n");
            Bind(cmd, ("$n", name), ("$now", Stamp(_time.GetUtcNow())));
            if (cmd.ExecuteNonQuery() == 0)
            {
                throw new LightNfvException(ErrorKind.NotFound, $"name: no token named '{name}'; 'lightnfv token ls' lists them");
            }
            using var get = Command("SELECT name, tenant, role, created_at, expires_at, revoked_at FROM tokens WHERE name=$n");
            Bind(get, ("$n", name));
            return ReadTokens(get)[0];
        }
    }

    /// <summary>The stored form of a secret: lowercase hex SHA-256.</summary>
    public static string TokenHash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static List<TokenRecord> ReadTokens(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<TokenRecord>();
        while (r.Read())
        {
            list.Add(ReadToken(r));
        }
        return list;
    }

    private static TokenRecord ReadToken(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), Enum.Parse<Role>(r.GetString(2), ignoreCase: true),
        Parse(r.GetString(3)), r.IsDBNull(4) ? null : Parse(r.GetString(4)), r.IsDBNull(5) ? null : Parse(r.GetString(5)));
}

using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Server.Tests.Store;

/// <summary>API tokens in a real SQLite file: only the hash is stored, the secret is shown once, revocation and expiry hold.</summary>
public sealed class TokenStoreTests() : TempStoreFile("lnfvs-tokens")
{
    [Fact]
    public void Only_the_hash_is_stored_and_the_secret_authenticates_until_revoked()
    {
        string secret;
        using (var store = new PlatformStore(StorePath))
        {
            var made = store.CreateToken("ci", "acme", Role.Operator, null);
            secret = made.Secret;
            secret.ShouldStartWith(PlatformStore.TokenPrefix);
            (secret.Length - PlatformStore.TokenPrefix.Length).ShouldBe(43);
            store.FindToken(secret)!.Name.ShouldBe("ci");
            store.FindToken(secret + "x").ShouldBeNull();
            store.Tokens().Single().ShouldBe(made.Record);
        }
        using (var db = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT * FROM tokens";
            using var r = cmd.ExecuteReader();
            r.Read().ShouldBeTrue();
            for (var i = 0; i < r.FieldCount; i++)
            {
                (r.IsDBNull(i) ? "" : r.GetValue(i).ToString()!).ShouldNotContain(secret[PlatformStore.TokenPrefix.Length..]);
            }
            r.GetString(r.GetOrdinal("hash")).ShouldBe(PlatformStore.TokenHash(secret));
        }
        using (var store = new PlatformStore(StorePath))
        {
            store.RevokeToken("ci").RevokedAt.ShouldNotBeNull();
            store.FindToken(secret)!.ValidAt(DateTimeOffset.UtcNow).ShouldBeFalse();
            Should.Throw<LightNfvException>(() => store.CreateToken("ci", "acme", Role.Viewer, null)).Kind.ShouldBe(ErrorKind.Conflict);
            Should.Throw<LightNfvException>(() => store.RevokeToken("nope")).Kind.ShouldBe(ErrorKind.NotFound);
        }
    }

    [Fact]
    public void An_expired_token_is_not_valid()
    {
        using var store = new PlatformStore(StorePath);
        var made = store.CreateToken("short", "acme", Role.Viewer, DateTimeOffset.UtcNow.AddMinutes(1));
        store.FindToken(made.Secret)!.ValidAt(DateTimeOffset.UtcNow).ShouldBeTrue();
        store.FindToken(made.Secret)!.ValidAt(DateTimeOffset.UtcNow.AddMinutes(2)).ShouldBeFalse();
    }
}

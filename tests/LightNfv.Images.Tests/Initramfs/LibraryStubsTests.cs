using LightNfv.Images.Initramfs;

namespace LightNfv.Images.Tests.Initramfs;

public sealed class LibraryStubsTests
{
    [Fact]
    public void Undefined_symbols_are_read_with_their_version_node()
    {
        var imports = LibraryStubs.ParseUndefined(
            "                 U BIO_free@OPENSSL_3.0.0\n                 w __gmon_start__\n0000000000001000 T defined\n                 U memcpy@@GLIBC_2.14\n").ToList();
        imports.ShouldBe([new("BIO_free", "OPENSSL_3.0.0"), new("__gmon_start__", null), new("memcpy", "GLIBC_2.14")]);
    }

    [Fact]
    public void The_version_script_exports_each_import_under_its_node_and_hides_the_rest()
    {
        var (source, script) = LibraryStubs.Generate("libcrypto.so.3",
            [new("SHA256_Init", "OPENSSL_3.0.0"), new("BIO_free", "OPENSSL_3.0.0"), new("plain", null)]);
        source.ShouldContain("long BIO_free(void) { return 0; }");
        source.ShouldContain("long SHA256_Init(void) { return 0; }");
        script.ShouldBe("OPENSSL_3.0.0 { global: BIO_free; SHA256_Init; plain; local: *; };\n");
    }

    [Fact]
    public void Without_versions_the_script_is_one_anonymous_node()
    {
        var (_, script) = LibraryStubs.Generate("libx.so.1", [new("f", null)]);
        script.ShouldBe("{ global: f; local: *; };\n");
    }

    [Fact]
    public void Only_iperf3_is_known_to_use_libcrypto_for_an_optional_feature()
    {
        LibraryStubs.OptionalLibraries["iperf3"].ShouldContain("libcrypto.so.3");
        LibraryStubs.OptionalLibraries.ContainsKey("busybox").ShouldBeFalse();
    }
}

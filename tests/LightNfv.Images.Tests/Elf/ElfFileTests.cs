using LightNfv.Core.Errors;
using LightNfv.Images.Elf;

namespace LightNfv.Images.Tests.Elf;

public sealed class ElfFileTests
{
    [Fact]
    public void Iperf3_needs_libiperf_and_the_x86_64_loader()
    {
        var elf = ElfFile.Read("/usr/bin/iperf3");

        elf.Machine.ShouldBe(ElfMachine.X86_64);
        elf.Interpreter.ShouldBe("/lib64/ld-linux-x86-64.so.2");
        elf.Needed.ShouldContain("libiperf.so.0");
        elf.Needed.ShouldContain("libc.so.6");
        elf.HasDynamicSegment.ShouldBeTrue();
        elf.IsStatic.ShouldBeFalse();
    }

    [Fact]
    public void A_shared_library_reports_its_soname()
    {
        var elf = ElfFile.Read("/usr/lib/x86_64-linux-gnu/libc.so.6");

        elf.SoName.ShouldBe("libc.so.6");
        elf.Needed.ShouldContain("ld-linux-x86-64.so.2");
    }

    [Fact]
    public void Static_busybox_is_static()
    {
        var elf = ElfFile.Read("/usr/bin/busybox");

        elf.IsStatic.ShouldBeTrue();
        elf.Interpreter.ShouldBeNull();
        elf.Needed.ShouldBeEmpty();
    }

    [Fact]
    public void Dynamic_entries_are_read_through_the_load_segment_mapping()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("fake");
        new FakeElf
        {
            Interpreter = "/lib/ld-linux-aarch64.so.1",
            Machine = (ushort)ElfMachine.AArch64,
            Needed = ["liba.so.1", "libb.so.2"],
            RPath = "/opt/r",
            RunPath = "$ORIGIN/../lib",
            SoName = "libfake.so.1",
        }.WriteTo(path);

        var elf = ElfFile.Read(path);

        elf.Machine.ShouldBe(ElfMachine.AArch64);
        elf.Interpreter.ShouldBe("/lib/ld-linux-aarch64.so.1");
        elf.Needed.ShouldBe(["liba.so.1", "libb.so.2"]);
        elf.RPath.ShouldBe("/opt/r");
        elf.RunPath.ShouldBe("$ORIGIN/../lib");
        elf.SoName.ShouldBe("libfake.so.1");
    }

    [Fact]
    public void A_file_without_dynamic_segment_or_interpreter_is_static()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("static");
        new FakeElf { Dynamic = false }.WriteTo(path);

        var elf = ElfFile.Read(path);

        elf.IsStatic.ShouldBeTrue();
        elf.HasDynamicSegment.ShouldBeFalse();
    }

    [Fact]
    public void A_text_file_is_rejected()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("script.sh");
        File.WriteAllText(path, "#!/bin/sh\necho this is not an ELF file, but it is long enough to fill a header\n");

        var error = Should.Throw<LightNfvException>(() => ElfFile.Read(path));

        error.Kind.ShouldBe(ErrorKind.Invalid);
        error.Message.ShouldContain("is not a 64-bit little-endian ELF file");
        error.Message.ShouldContain(path);
    }

    [Theory]
    [InlineData((byte)1, (byte)1)] // ELF32
    [InlineData((byte)2, (byte)2)] // big-endian
    public void Elf32_and_big_endian_are_rejected(byte elfClass, byte data)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("foreign");
        new FakeElf { Class = elfClass, Data = data }.WriteTo(path);

        Should.Throw<LightNfvException>(() => ElfFile.Read(path))
            .Message.ShouldContain("is not a 64-bit little-endian ELF file");
    }

    [Fact]
    public void A_truncated_file_is_reported_as_malformed()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("truncated");
        var bytes = new FakeElf { Needed = ["liba.so"] }.ToBytes();
        File.WriteAllBytes(path, bytes[..100]);

        var error = Should.Throw<LightNfvException>(() => ElfFile.Read(path));

        error.Kind.ShouldBe(ErrorKind.Invalid);
        error.Message.ShouldContain("malformed ELF");
    }

    [Fact]
    public void A_missing_file_is_not_found()
    {
        Should.Throw<LightNfvException>(() => ElfFile.Read("/nonexistent/binary"))
            .Kind.ShouldBe(ErrorKind.NotFound);
    }
}

using System.Text;
using LightNfv.Images.Initramfs;

namespace LightNfv.Images.Tests.Initramfs;

public sealed class CpioNewcWriterTests
{
    private static string Write(Action<CpioNewcWriter> members)
    {
        using var stream = new MemoryStream();
        var writer = new CpioNewcWriter(stream);
        members(writer);
        writer.Length.ShouldBe(stream.Length);
        return Encoding.ASCII.GetString(stream.ToArray());
    }

    [Fact]
    public void A_file_member_has_the_newc_header_name_and_data_each_padded_to_four_bytes()
    {
        var bytes = Write(w => w.File("/init", (UnixFileMode)0b111_101_101, "hi!"u8));
        // magic, ino 1, mode 0100755, uid, gid, nlink 1, mtime 0, size 3, dev 0:0, rdev 0:0, namesize 5 ("init\0"), check 0
        const string header = "070701" + "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "00000000" +
            "00000003" + "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000";
        // 110 + 5 = 115 -> pad 1 to 116; data 3 -> pad 1 to 120.
        bytes.ShouldBe(header + "init\0" + "\0" + "hi!" + "\0");
    }

    [Fact]
    public void Device_symlink_and_trailer_members_carry_their_type_target_and_numbers()
    {
        var bytes = Write(w =>
        {
            w.CharDevice("/dev/console", (UnixFileMode)0b110_000_000, 5, 1);
            w.Symlink("/lib", "usr/lib");
            w.Trailer();
        });
        bytes.Length.ShouldBe(bytes.Length / 4 * 4);
        // Character device 020600 with rdev 5:1.
        bytes.ShouldStartWith("070701" + "00000001" + "00002180" + "00000000" + "00000000" + "00000001" + "00000000" + "00000000" +
            "00000000" + "00000000" + "00000005" + "00000001" + "0000000c" + "00000000" + "dev/console\0");
        // Symlink 0120777, its target as data.
        bytes.ShouldContain("00000002" + "0000a1ff" + "00000000" + "00000000" + "00000001" + "00000000" + "00000007");
        bytes.ShouldContain("lib\0\0\0usr/lib");
        // The trailer has inode 0 and ends the archive.
        bytes.ShouldContain("070701" + "00000000" + "00000000");
        bytes.TrimEnd('\0').ShouldEndWith("TRAILER!!!");
    }

    [Fact]
    public void Same_members_give_same_bytes()
    {
        static void Members(CpioNewcWriter w)
        {
            w.Directory("/usr", (UnixFileMode)0b111_101_101);
            w.File("/usr/x", (UnixFileMode)0b110_100_100, "abc"u8);
            w.Trailer();
        }
        Write(Members).ShouldBe(Write(Members));
    }
}

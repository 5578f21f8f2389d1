namespace LightNfv.Images.Elf;

/// <summary>The e_machine values images are built for; others are read but cannot be resolved.</summary>
public enum ElfMachine : ushort
{
    X86_64 = 62,
    AArch64 = 183,
}

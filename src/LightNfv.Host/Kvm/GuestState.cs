namespace LightNfv.Host.Kvm;

/// <summary>What a guest is doing, as its monitor sees it.</summary>
public enum GuestState
{
    Running,
    /// <summary>The guest asked to exit (HC_EXIT) or was stopped.</summary>
    Exited,
    /// <summary>Triple fault, emulation failure, bad hypercall: the guest is gone, its register dump is in the console log.</summary>
    Failed,
}

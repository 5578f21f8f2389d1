using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Backends;

/// <summary>
/// The checks backends share in <see cref="IBackend.Validate"/>: a field meant for other technologies is refused with
/// the fix. Which technologies a field applies to is said here once, for the messages; each backend decides whether it
/// takes the field.
/// </summary>
public static class SpecRules
{
    /// <summary>Refuses spec.runtime: only the container technology chooses an OCI runtime.</summary>
    public static void RejectRuntime(VnfSpec spec)
    {
        if (spec.Runtime is { } runtime)
        {
            throw new DescriptorException("spec.runtime",
                $"'{runtime}' only applies to technology 'container', not '{spec.Technology.ToName()}'; remove the field");
        }
    }

    /// <summary>Refuses spec.accel: only the VM technologies choose an accelerator.</summary>
    public static void RejectAccel(VnfSpec spec)
    {
        if (spec.Accel is { } accel)
        {
            throw new DescriptorException("spec.accel",
                $"'{accel}' only applies to technologies tinyx, standardvm and unikernel, not '{spec.Technology.ToName()}'; remove the field");
        }
    }
}

// The image builder targets Linux hosts; its tests chroot and read Unix modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

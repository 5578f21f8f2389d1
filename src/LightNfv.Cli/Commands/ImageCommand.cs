using System.CommandLine;
using LightNfv.Images.Initramfs;
using LightNfv.Images.Kernel;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv image kernel|tinyx`: builds (or finds in the cache) what the VM backends boot, and says how big it is.</summary>
public static class ImageCommand
{
    public static Command Create()
    {
        var kernel = new Command("kernel", "Build the tinyx guest kernel (tinyconfig + guest/kernel/tinyx.config) once and cache it outside the repository");
        kernel.SetAction((pr, ct) => Cli.Guard((ctx, _) =>
        {
            var k = new KernelBuilder(KernelBuilder.DefaultCacheRoot).Ensure(line => Console.Error.WriteLine(line));
            Console.WriteLine($"{k.Path}\t{k.Bytes / 1e6:0.00} MB\t{k.Description}");
            return Task.FromResult(0);
        }, ct));

        var argv = new Argument<string[]>("command") { Description = "the VNF's command line, e.g. iperf3 -s", Arity = ArgumentArity.OneOrMore };
        var tinyx = new Command("tinyx", "Build the tinyx initramfs of a VNF (its rootfs, lnfv-init, optional libraries stubbed) and the kernel") { argv };
        tinyx.SetAction((pr, ct) => Cli.Guard((ctx, _) =>
        {
            var k = new KernelBuilder(KernelBuilder.DefaultCacheRoot).Ensure(line => Console.Error.WriteLine(line));
            var image = new TinyxImageBuilder(ctx.Backends.Host.Images).Build(pr.GetValue(argv)!, []);
            Console.WriteLine($"kernel     {k.Bytes / 1e6,6:0.00} MB  {k.Path}");
            Console.WriteLine($"initramfs  {image.Bytes / 1e6,6:0.00} MB  {image.InitramfsPath}" +
                (image.StubbedLibraries.Count > 0 ? $" (stubbed: {string.Join(", ", image.StubbedLibraries)})" : ""));
            Console.WriteLine($"image      {(k.Bytes + image.Bytes) / 1e6,6:0.00} MB  (kernel + initramfs)");
            return Task.FromResult(0);
        }, ct));
        return new Command("image", "Build and size the images the VM backends boot") { kernel, tinyx };
    }
}

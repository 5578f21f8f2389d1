using LightNfv.Cli.Commands;
using LightNfv.Cli.Startup;

OptimizedRuntime.Apply(args);
return await Cli.RunAsync(args).ConfigureAwait(false);

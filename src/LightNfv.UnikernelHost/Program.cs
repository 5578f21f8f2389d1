return LightNfv.Backends.Unikernel.MonitorHost.Main(args);

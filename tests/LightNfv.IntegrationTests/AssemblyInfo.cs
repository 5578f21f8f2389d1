// Every test creates kernel-wide objects (network namespaces, veths, cgroups) and the machine has 2 cores:
// run the test classes one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

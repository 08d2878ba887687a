using DePT.Benchmarks;

return BenchCommands.CreateRoot().Parse(args).Invoke();

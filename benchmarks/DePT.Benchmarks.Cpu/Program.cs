using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// `dotnet run -c Release --project benchmarks/DePT.Benchmarks.Cpu -- --filter '*' --job short` (see benchmarks/README.md).
// Reports go to artifacts/benchmarks-cpu under the repository root (git-ignored) unless --artifacts says otherwise.
var root = new DirectoryInfo(AppContext.BaseDirectory);
while (root is not null && !File.Exists(Path.Combine(root.FullName, "DePT.sln"))) root = root.Parent;
string artifacts = Path.Combine(root?.FullName ?? Environment.CurrentDirectory, "artifacts", "benchmarks-cpu");
BenchmarkSwitcher.FromAssembly(typeof(DePT.Benchmarks.Cpu.TokenizerBenchmarks).Assembly)
    .Run(args, DefaultConfig.Instance.WithArtifactsPath(artifacts));

using System.CommandLine;
using DePT.Cli.Commands;

var root = new RootCommand($"DePT: decomposed prompt tuning on frozen transformers, CPU and CUDA. {ExitCodes.Help}");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
return root.Parse(args).Invoke();

using System.CommandLine;
using DePT.Cli.Commands;

var root = new RootCommand("DePT: decomposed prompt tuning on frozen transformers, CPU and CUDA.");
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
return root.Parse(args).Invoke();

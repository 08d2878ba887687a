using DePT.Devices;

namespace DePT.Tests.Cli;

/// <summary><c>dept train --gpus N</c> refuses what cannot run, in one line, before it loads anything.</summary>
[NonParallelizable]
public class TrainGpusCliTests
{
    [TestCase("0", null, "--gpus must be at least 1; got 0.")]
    [TestCase("2", "cpu", "--gpus 2 trains on CUDA devices; leave out --device cpu.")]
    public void ImpossibleGpuCounts_AreOneLineErrors(string gpus, string? device, string message)
    {
        var result = Train(gpus, device);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.ErrorLines, Is.EqualTo(new[] { $"dept train: {message}" }), result.ToString());
    }

    [Test]
    public void MoreGpusThanTheMachineHas_SaysHowManyItHas()
    {
        var probe = CudaProbe.Run();
        var result = Train("64", null);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        string expected = probe.IsAvailable ? $"--gpus 64: this machine has {probe.DeviceCount} CUDA device(s)." : "CUDA is not available";
        Assert.That(result.ErrorLines, Has.Length.EqualTo(1).And.Some.Contains(expected), result.ToString());
    }

    private static DeptProcess.Result Train(string gpus, string? device)
    {
        var folder = Directory.CreateTempSubdirectory("dept-gpus-").FullName;
        try
        {
            string[] deviceArgs = device is null ? [] : ["--device", device];
            return DeptProcess.Run(null, ["train", "--model", "minilm", .. deviceArgs, "--gpus", gpus, "--train", Path.Combine(folder, "train.jsonl"),
                "--validation", Path.Combine(folder, "validation.jsonl"), "--out", Path.Combine(folder, "run")]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

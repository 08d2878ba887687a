using System.CommandLine;
using DePT.Backends;
using DePT.Devices;
using DePT.Models;
using DePT.Tensors;

namespace DePT.Cli.Commands;

/// <summary>The options every model-loading command takes: the model, the device and the weights' dtype.</summary>
internal static class SharedOptions
{
    public static Option<string> Model(bool required = true) => new("--model")
    {
        Description = $"a Hugging Face model folder (T5, BERT, or Llama / Mistral / Qwen2: config.json, safetensors, tokenizer) or \"{PretrainedModel.EmbeddedMiniLm}\" for the embedded all-MiniLM-L6-v2",
        Required = required,
    };

    public static Option<string?> Device() => new("--device") { Description = "cpu or cuda (default: cuda when a device is found, else cpu)" };

    public static Option<string?> DType() => new("--dtype") { Description = "weights and activations: f32 or bf16 (default: bf16 for T5 and causal LMs on cuda, else f32)" };

    /// <summary>Opens the backend (CUDA device <paramref name="ordinal"/> when on CUDA) and loads the model; the caller disposes both (model first).</summary>
    public static (IBackend Backend, PretrainedModel Model) Open(string model, string? device, string? dtype, int ordinal = 0)
    {
        var kind = BackendFactory.ParseKind(device);
        var backend = BackendFactory.Open(kind, ordinal);
        try
        {
            var chosen = dtype?.ToLowerInvariant() switch
            {
                null => kind == DeviceKind.Cuda && !IsEncoder(model) ? Tensors.DType.BF16 : Tensors.DType.F32,
                "f32" => Tensors.DType.F32,
                "bf16" => Tensors.DType.BF16,
                _ => throw new ArgumentException($"--dtype must be f32 or bf16; got \"{dtype}\"."),
            };
            if (kind == DeviceKind.Cpu && chosen != Tensors.DType.F32)
                throw new ArgumentException("the CPU backend computes in f32; leave --dtype out or pass f32 with --device cpu.");
            return (backend, PretrainedModel.Load(model, backend, chosen));
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="model"/> names a BERT-style encoder (the embedded MiniLM, or a folder whose config says bert).</summary>
    public static bool IsEncoder(string model)
    {
        if (string.Equals(model, PretrainedModel.EmbeddedMiniLm, StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            return DePT.Models.ModelConfig.Load(model) is DePT.Models.BertConfig;
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            return false;   // PretrainedModel.Load reports the problem with the folder
        }
    }

    /// <summary>"cpu" or the CUDA device's description.</summary>
    public static string Describe(IBackend backend) => backend is DePT.Backends.Cuda.CudaBackend cuda ? cuda.CudaDevice.ToString() : "cpu";
}

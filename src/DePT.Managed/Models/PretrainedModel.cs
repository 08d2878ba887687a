using System.Runtime.InteropServices;
using DePT.Backends;
using DePT.Checkpoints;
using DePT.IO;
using DePT.Models.Bert;
using DePT.Models.Llama;
using DePT.Models.MiniLm;
using DePT.Models.T5;
using DePT.Tensors;
using DePT.Tokenizers;

namespace DePT.Models;

/// <summary>
/// A frozen model with its tokenizer and identity, loaded from a Hugging Face folder (T5, BERT, or a LLaMA-family causal
/// LM) or the embedded all-MiniLM-L6-v2 (<see cref="EmbeddedMiniLm"/>): what the CLI and an application need to train,
/// evaluate or serve prompts. T5 (<see cref="T5"/>) and causal LMs (<see cref="CausalLm"/>) answer in text; BERT-style
/// encoders classify with a head (<see cref="Encoder"/>).
/// </summary>
public sealed class PretrainedModel : IDisposable
{
    /// <summary>The name that selects the embedded all-MiniLM-L6-v2 instead of a folder.</summary>
    public const string EmbeddedMiniLm = "minilm";

    private PretrainedModel(string name, T5Model? t5, BertModel? encoder, LlamaModel? causalLm, ITextTokenizer tokenizer, ModelIdentity identity)
    {
        Name = name;
        T5 = t5;
        Encoder = encoder;
        CausalLm = causalLm;
        Tokenizer = tokenizer;
        Identity = identity;
    }

    /// <summary>The folder or <see cref="EmbeddedMiniLm"/>.</summary>
    public string Name { get; }

    /// <summary>The T5 model, or null for another family.</summary>
    public T5Model? T5 { get; }

    /// <summary>The BERT-style encoder, or null for another family.</summary>
    public BertModel? Encoder { get; }

    /// <summary>The LLaMA-family causal LM (Llama, Mistral, Qwen2), or null for another family.</summary>
    public LlamaModel? CausalLm { get; }

    /// <summary>The model's tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>What prompt and head files made on this model record.</summary>
    public ModelIdentity Identity { get; }

    /// <summary>d.</summary>
    public int Dim => T5?.Config.ModelDim ?? CausalLm?.Config.HiddenSize ?? Encoder!.Config.HiddenSize;

    /// <summary>The frozen word-embedding table (V, d).</summary>
    public Tensor WordEmbeddings => T5?.Weights.Shared ?? CausalLm?.Embeddings ?? Encoder!.Embeddings;

    /// <summary>The backend the model lives on.</summary>
    public IBackend Backend => T5?.Backend ?? CausalLm?.Backend ?? Encoder!.Backend;

    /// <summary>
    /// Rows of a DePT prompt's A for inputs of up to <paramref name="maxInputLength"/> tokens: the input (T5, encoders),
    /// or, for a causal LM, which reads its answer too, the input, <paramref name="targetLength"/> target tokens and the end token.
    /// </summary>
    public int LowRankRows(int maxInputLength, int targetLength) => CausalLm is null ? maxInputLength : maxInputLength + targetLength + 1;

    /// <summary>The most input tokens a DePT prompt with <paramref name="lowRankRows"/> rows of A takes: the inverse of <see cref="LowRankRows"/>.</summary>
    public int InputLengthFor(int lowRankRows, int targetLength) => CausalLm is null ? lowRankRows : lowRankRows - targetLength - 1;

    /// <summary>Loads <paramref name="nameOrFolder"/> onto <paramref name="backend"/> with weights in <paramref name="dtype"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="NotSupportedException">The folder's model_type is not one the runtime loads.</exception>
    public static PretrainedModel Load(string nameOrFolder, IBackend backend, DType dtype)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrFolder);
        ArgumentNullException.ThrowIfNull(backend);
        if (string.Equals(nameOrFolder, EmbeddedMiniLm, StringComparison.OrdinalIgnoreCase)) return LoadMiniLm(backend, dtype);
        string folder = Path.GetFullPath(nameOrFolder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"the model folder '{folder}' does not exist (give a Hugging Face model folder, or \"{EmbeddedMiniLm}\" for the embedded all-MiniLM-L6-v2).");
        var config = ModelConfig.Load(folder);
        var tokenizer = TokenizerLoader.FromFolder(folder);
        using var weights = ModelWeights.Open(folder);
        switch (config)
        {
            case T5Config t5:
            {
                var identity = IdentityOf(weights, t5.ModelType, t5.NumLayers, t5.ModelDim, "shared.weight", "encoder.embed_tokens.weight");
                return new PretrainedModel(folder, T5Model.Load(backend, folder, dtype), null, null, tokenizer, identity);
            }
            case BertConfig bert:
            {
                var identity = IdentityOf(weights, bert.ModelType, bert.NumHiddenLayers, bert.HiddenSize, "embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight");
                return new PretrainedModel(folder, null, BertModel.Load(backend, folder, dtype), null, tokenizer, identity);
            }
            case LlamaConfig llama:
            {
                var identity = IdentityOf(weights, llama.ModelType, llama.NumLayers, llama.HiddenSize, "model.embed_tokens.weight");
                return new PretrainedModel(folder, null, null, LlamaModel.Load(backend, folder, dtype), tokenizer, identity);
            }
            default:
                throw new NotSupportedException($"'{folder}': model_type \"{config.ModelType}\" is not supported here; supported: {string.Join(", ", ModelConfig.SupportedModelTypes)}.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        T5?.Dispose();
        Encoder?.Dispose();
        CausalLm?.Dispose();
    }

    private static PretrainedModel LoadMiniLm(IBackend backend, DType dtype)
    {
        var package = MiniLmPackage.Load();
        WordPieceTokenizer tokenizer;
        using (var vocabulary = package.OpenVocabulary()) tokenizer = WordPieceTokenizer.FromVocabulary(vocabulary);
        var weights = MiniLmWeights.FromOnnx(package.ReadModel(), MiniLmConfig.AllMiniLmL6V2);
        const string embeddingName = "embeddings.word_embeddings.weight";
        if (!weights.TryGetValue(embeddingName, out var embeddings))
            throw new InvalidDataException($"'{package.AssemblyPath}': the embedded model has no '{embeddingName}'.");
        var encoder = BertModel.FromMiniLm(backend, weights, dtype);
        var identity = ModelIdentity.FromEmbeddingBytes("bert", embeddings.Shape[1], embeddings.Shape[0], encoder.Config.NumHiddenLayers,
            MemoryMarshal.AsBytes(embeddings.Data.AsSpan()));
        return new PretrainedModel(EmbeddedMiniLm, null, encoder, null, tokenizer, identity);
    }

    private static ModelIdentity IdentityOf(ModelWeights weights, string modelType, int layers, int dim, params string[] embeddingNames)
    {
        string name = embeddingNames.FirstOrDefault(weights.Contains)
            ?? throw new InvalidDataException($"'{weights.Folder}': none of the word-embedding tensors [{string.Join(", ", embeddingNames)}] is in the weights.");
        var info = weights.GetInfo(name);
        return ModelIdentity.FromEmbeddingBytes(modelType, dim, checked((int)info.Shape[0]), layers, weights.GetBytes(name));
    }
}

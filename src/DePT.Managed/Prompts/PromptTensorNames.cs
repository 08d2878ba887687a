namespace DePT.Prompts;

/// <summary>The PEFT names of the prompt tensors, used for optimiser parameters and in prompt files.</summary>
public static class PromptTensorNames
{
    /// <summary>The soft prompt P (m, d).</summary>
    public const string Prompt = "prompt_embeddings";

    /// <summary>The low-rank factor A (s, r).</summary>
    public const string LowRankA = "prompt_encoder.lora_embedding_A";

    /// <summary>The low-rank factor B (r, d).</summary>
    public const string LowRankB = "prompt_encoder.lora_embedding_B";
}

namespace DePT.Checkpoints;

/// <summary>A prompt or head file was trained on another model than the one it is applied to; the message names both.</summary>
public sealed class PromptModelMismatchException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public PromptModelMismatchException(string path, ModelIdentity promptModel, ModelIdentity givenModel)
        : base($"'{path}' was trained on {promptModel}, but the given model is {givenModel}; a prompt or head only works with its own model.")
    {
        PromptModel = promptModel;
        GivenModel = givenModel;
    }

    /// <summary>The model named in the prompt's config.</summary>
    public ModelIdentity PromptModel { get; }

    /// <summary>The model the caller wants to apply the prompt to.</summary>
    public ModelIdentity GivenModel { get; }
}

namespace DePT.Kernels;

/// <summary>
/// The device word kernels write when their input is invalid: {code, value, position, limit}, first error
/// wins. Codes match common.cuh. The device raises it at its next synchronisation, so no launch waits.
/// </summary>
internal static class KernelError
{
    public const int WordInts = 4;
    public const int WordBytes = WordInts * sizeof(int);
    public const int TokenIdOutOfRange = 1;
    public const int PromptIndexOutOfRange = 2;
    public const int SequenceLongerThanMaximum = 3;
    public const int TokenTypeOutOfRange = 4;
    public const int RowOffsetOutOfRange = 5;
    public const int RowIndexOutOfRange = 6;

    public static Exception ToException(ReadOnlySpan<int> word) => word[0] switch
    {
        TokenIdOutOfRange => new ArgumentOutOfRangeException("tokenIds",
            $"Token id {word[1]} at flat position {word[2]} is outside the vocabulary [0, {word[3]})."),
        PromptIndexOutOfRange => new ArgumentOutOfRangeException("promptIndex",
            $"Prompt index {word[1]} of example {word[2]} is outside [0, {word[3]})."),
        SequenceLongerThanMaximum => new ArgumentOutOfRangeException("tokenIds",
            $"Input length L={word[1]} exceeds the prompt's maximum input length s={word[3]}."),
        TokenTypeOutOfRange => new ArgumentOutOfRangeException("tokenTypeIds",
            $"Token type id {word[1]} at flat position {word[2]} is outside [0, {word[3]})."),
        RowOffsetOutOfRange => new ArgumentOutOfRangeException("rowOffset",
            $"Row offset {word[1]} of example {word[2]} is outside [0, L={word[3]}]."),
        RowIndexOutOfRange => new ArgumentOutOfRangeException("rowIndices",
            $"Row index {word[1]} at place {word[2]} of the index list is outside [0, {word[3]})."),
        _ => new InvalidOperationException($"A kernel reported unknown error code {word[0]} (value {word[1]}, position {word[2]}, limit {word[3]})."),
    };
}

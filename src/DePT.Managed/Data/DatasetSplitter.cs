namespace DePT.Data;

/// <summary>Train/validation/test splits as in the DePT paper (after Asai et al. 2022): small sets halve their
/// validation set into validation and test; large sets hold out training rows as validation and test on the
/// original validation set.</summary>
public static class DatasetSplitter
{
    /// <summary>Splits a task's original training and validation sets.</summary>
    /// <param name="train">The original training rows.</param>
    /// <param name="validation">The original validation rows.</param>
    /// <param name="options">Threshold, held-out size and seed; defaults when null.</param>
    /// <exception cref="ArgumentException">A split would be empty.</exception>
    public static DatasetSplits Split(IReadOnlyList<Example> train, IReadOnlyList<Example> validation, DatasetSplitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        options ??= new DatasetSplitOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.SmallDatasetThreshold);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.HeldOutValidationRows);
        if (train.Count == 0)
            throw new ArgumentException("The training set is empty.", nameof(train));

        if (train.Count < options.SmallDatasetThreshold)
        {
            if (validation.Count < 2)
                throw new ArgumentException(
                    $"A small training set ({train.Count} < {options.SmallDatasetThreshold} rows) takes validation and test from the validation set, which needs at least 2 rows; it has {validation.Count}.",
                    nameof(validation));
            var shuffled = SeededShuffle.Shuffled(validation, options.Seed);
            int half = shuffled.Length / 2;
            return new DatasetSplits(train, shuffled[..half], shuffled[half..]);
        }

        if (validation.Count == 0)
            throw new ArgumentException("The validation set, used as the test set for large training sets, is empty.", nameof(validation));
        if (options.HeldOutValidationRows >= train.Count)
            throw new ArgumentException(
                $"Holding out {options.HeldOutValidationRows} rows as validation leaves no training rows out of {train.Count}.", nameof(options));
        var shuffledTrain = SeededShuffle.Shuffled(train, options.Seed);
        int held = options.HeldOutValidationRows;
        return new DatasetSplits(shuffledTrain[held..], shuffledTrain[..held], validation);
    }
}

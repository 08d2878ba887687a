using System.Text.Json;

namespace DePT.Data;

/// <summary>Reads JSONL, CSV or TSV files into <see cref="Example"/>s.</summary>
public static class DatasetReader
{
    /// <summary>The layout a file extension stands for.</summary>
    /// <exception cref="ArgumentException">An extension other than .jsonl, .json, .csv, .tsv.</exception>
    public static DatasetFormat FormatOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" => DatasetFormat.JsonLines,
            ".csv" => DatasetFormat.Csv,
            ".tsv" => DatasetFormat.Tsv,
            var other => throw new ArgumentException(
                $"{path}: cannot tell the dataset format from the extension \"{other}\"; use .jsonl, .csv or .tsv, or set DatasetReaderOptions.Format.", nameof(path)),
        };
    }

    /// <summary>Reads a dataset file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Field names, example kind, label set, malformed-row policy; defaults when null.</param>
    /// <exception cref="DatasetFormatException">A malformed row under <see cref="MalformedRowPolicy.Fail"/>, an
    /// unknown label, a header without the needed columns, or no rows at all.</exception>
    public static Dataset Read(string path, DatasetReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new DatasetReaderOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.SkippedRowsListed);
        if (options.InputFields.Count == 0)
            throw new ArgumentException("DatasetReaderOptions.InputFields names no input field.", nameof(options));
        var format = options.Format ?? FormatOf(path);
        string text = File.ReadAllText(path);
        var collector = new RowCollector(path, options);
        switch (format)
        {
            case DatasetFormat.JsonLines:
                ReadJsonLines(text, collector);
                break;
            case DatasetFormat.Csv:
                ReadDelimited(DelimitedRecordParser.Csv(text), collector);
                break;
            case DatasetFormat.Tsv:
                ReadDelimited(DelimitedRecordParser.Tsv(text), collector);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), format, "Unknown dataset format.");
        }
        return collector.Finish();
    }

    private static void ReadJsonLines(string text, RowCollector collector)
    {
        var options = collector.Options;
        int lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(rawLine))
                continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(rawLine);
            }
            catch (JsonException e)
            {
                collector.Malformed(lineNumber, $"bad JSON: {e.Message}");
                continue;
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    collector.Malformed(lineNumber, $"expected a JSON object, found {document.RootElement.ValueKind}.");
                    continue;
                }
                var root = document.RootElement;
                string? input = null;
                foreach (var name in options.InputFields)
                {
                    if (root.TryGetProperty(name, out var value))
                    {
                        input = AsText(value);
                        break;
                    }
                }
                if (input is null)
                {
                    collector.Malformed(lineNumber, $"missing input field (tried {string.Join(", ", options.InputFields)}).");
                    continue;
                }
                string field = options.Kind == ExampleKind.TextToText ? options.TargetField : options.LabelField;
                string? second = root.TryGetProperty(field, out var secondValue) ? AsText(secondValue) : null;
                collector.Row(lineNumber, input, second);
            }
        }
    }

    /// <summary>Strings as they are; numbers and booleans (labels such as 0/1 or true) as written.</summary>
    private static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static void ReadDelimited(IEnumerable<DelimitedRecord> records, RowCollector collector)
    {
        var options = collector.Options;
        string[]? header = null;
        int inputColumn = -1, secondColumn = -1;
        foreach (var record in records)
        {
            if (record.Fields is null)
            {
                collector.Malformed(record.LineNumber, record.Error!);
                continue;
            }
            if (header is null)
            {
                header = record.Fields;
                inputColumn = options.InputFields.Select(name => Array.IndexOf(header, name)).FirstOrDefault(i => i >= 0, -1);
                if (inputColumn < 0)
                    throw new DatasetFormatException(collector.SourceFile, record.LineNumber,
                        $"the header has no input column (tried {string.Join(", ", options.InputFields)}); columns: {string.Join(", ", header)}.");
                string field = options.Kind == ExampleKind.TextToText ? options.TargetField : options.LabelField;
                secondColumn = Array.IndexOf(header, field);
                if (secondColumn < 0)
                    throw new DatasetFormatException(collector.SourceFile, record.LineNumber,
                        $"the header has no \"{field}\" column; columns: {string.Join(", ", header)}.");
                continue;
            }
            if (record.Fields.Length != header.Length)
            {
                collector.Malformed(record.LineNumber, $"{record.Fields.Length} columns where the header has {header.Length}.");
                continue;
            }
            collector.Row(record.LineNumber, record.Fields[inputColumn], record.Fields[secondColumn]);
        }
    }

    /// <summary>Checks rows, applies the malformed-row policy, and gathers the examples.</summary>
    private sealed class RowCollector(string sourceFile, DatasetReaderOptions options)
    {
        private readonly List<Example> _examples = [];
        private readonly List<MalformedRow> _skipped = [];
        private int _skippedCount;

        public string SourceFile => sourceFile;

        public DatasetReaderOptions Options => options;

        public void Malformed(int lineNumber, string reason)
        {
            if (options.MalformedRows == MalformedRowPolicy.Fail)
                throw new DatasetFormatException(sourceFile, lineNumber, reason);
            _skippedCount++;
            if (_skipped.Count < options.SkippedRowsListed)
                _skipped.Add(new MalformedRow(sourceFile, lineNumber, reason));
        }

        /// <summary>Adds a row; <paramref name="second"/> is the target text or the label, by
        /// <see cref="DatasetReaderOptions.Kind"/>, null when absent.</summary>
        public void Row(int lineNumber, string input, string? second)
        {
            if (string.IsNullOrWhiteSpace(input))
            {
                Malformed(lineNumber, "empty input.");
                return;
            }
            if (options.Kind == ExampleKind.TextToText)
            {
                if (second is null)
                {
                    Malformed(lineNumber, $"missing field \"{options.TargetField}\".");
                    return;
                }
                _examples.Add(new Example(input, second, null, sourceFile, lineNumber));
                return;
            }
            if (string.IsNullOrEmpty(second))
            {
                Malformed(lineNumber, $"missing field \"{options.LabelField}\".");
                return;
            }
            // An unknown label is a wrong label set or a wrong file, never a row to skip quietly.
            if (options.Labels is { } labels && !labels.Contains(second))
                throw new DatasetFormatException(sourceFile, lineNumber, labels.UnknownLabelMessage(second));
            _examples.Add(new Example(input, null, second, sourceFile, lineNumber));
        }

        public Dataset Finish()
        {
            if (_examples.Count == 0)
                throw new DatasetFormatException(sourceFile, 0,
                    _skippedCount > 0 ? $"the dataset is empty: all {_skippedCount} rows were malformed." : "the dataset is empty.");
            return new Dataset(sourceFile, _examples, _skippedCount, _skipped);
        }
    }
}

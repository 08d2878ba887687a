using System.Text;

namespace DePT.Data;

/// <summary>One record of a delimited file: its fields, or why it could not be split.</summary>
internal readonly record struct DelimitedRecord(int LineNumber, string[]? Fields, string? Error);

/// <summary>Splits CSV (RFC 4180: fields in double quotes may hold commas, line breaks and doubled quotes)
/// and TSV (tabs, no quoting) into records, keeping the line each record starts on. Blank lines are skipped.</summary>
internal static class DelimitedRecordParser
{
    public static IEnumerable<DelimitedRecord> Tsv(string text)
    {
        int lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.EndsWith('\r') ? rawLine[..^1] : rawLine;
            if (line.Length == 0)
                continue;
            yield return new DelimitedRecord(lineNumber, line.Split('\t'), null);
        }
    }

    public static IEnumerable<DelimitedRecord> Csv(string text)
    {
        int position = 0;
        int lineNumber = 1;
        var fields = new List<string>();
        var field = new StringBuilder();
        while (position < text.Length)
        {
            int recordLine = lineNumber;
            fields.Clear();
            string? error = null;
            bool recordEnded = false;
            while (!recordEnded && error is null)
            {
                field.Clear();
                if (position < text.Length && text[position] == '"')
                {
                    position++;
                    bool closed = false;
                    while (position < text.Length)
                    {
                        char c = text[position++];
                        if (c == '"')
                        {
                            if (position < text.Length && text[position] == '"')
                            {
                                field.Append('"');
                                position++;
                                continue;
                            }
                            closed = true;
                            break;
                        }
                        if (c == '\n')
                            lineNumber++;
                        field.Append(c);
                    }
                    if (!closed)
                    {
                        error = "a quoted field is not closed before the end of the file.";
                        break;
                    }
                    if (position < text.Length && text[position] is not (',' or '\n' or '\r'))
                    {
                        error = $"unexpected character '{text[position]}' after a closing quote (a quote inside a quoted field is written \"\").";
                        break;
                    }
                }
                else
                {
                    while (position < text.Length && text[position] is not (',' or '\n' or '\r'))
                        field.Append(text[position++]);
                }
                fields.Add(field.ToString());
                recordEnded = ConsumeSeparator(text, ref position, ref lineNumber);
            }
            if (error is not null)
            {
                SkipToNextLine(text, ref position, ref lineNumber);
                yield return new DelimitedRecord(recordLine, null, error);
                continue;
            }
            if (fields.Count == 1 && fields[0].Length == 0)
                continue;
            yield return new DelimitedRecord(recordLine, [.. fields], null);
        }
    }

    /// <summary>Steps over a comma (record goes on) or a line break / end of text (record ended).</summary>
    private static bool ConsumeSeparator(string text, ref int position, ref int lineNumber)
    {
        if (position >= text.Length)
            return true;
        char c = text[position++];
        if (c == ',')
            return false;
        if (c == '\r' && position < text.Length && text[position] == '\n')
            position++;
        lineNumber++;
        return true;
    }

    private static void SkipToNextLine(string text, ref int position, ref int lineNumber)
    {
        while (position < text.Length && text[position] != '\n')
            position++;
        if (position < text.Length)
        {
            position++;
            lineNumber++;
        }
    }
}

using DePT.Data;
using DePT.Tests.IO;

namespace DePT.Tests.Data;

/// <summary>JSONL, CSV and TSV reading: quoting, field names, malformed rows with their line numbers, empty
/// datasets and unknown labels.</summary>
public class DatasetReaderTests
{
    private static readonly DatasetReaderOptions Classification = new() { Kind = ExampleKind.Classification };

    private static string Write(TemporaryFolder folder, string name, string text)
    {
        string path = folder.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void JsonLines_ReadsTextToTextRowsWithEscapesAndLineNumbers()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "train.jsonl",
            "{\"input\": \"say \\\"hi\\\"\\nthen go\", \"target\": \"ok\"}\n\n{\"input\": \"é ünï\", \"target\": \"\\u00e9\", \"extra\": 3}\n");

        var dataset = DatasetReader.Read(path);

        Assert.That(dataset.Examples, Has.Count.EqualTo(2));
        Assert.That(dataset.Examples[0], Is.EqualTo(new Example("say \"hi\"\nthen go", "ok", null, path, 1)));
        Assert.That(dataset.Examples[1], Is.EqualTo(new Example("é ünï", "é", null, path, 3)), "the blank line 2 is skipped but counted");
        Assert.That(dataset.SkippedCount, Is.Zero);
    }

    [Test]
    public void JsonLines_FallsBackThroughInputNamesAndReadsNumericLabels()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "sst2.jsonl", "{\"sentence\": \"great film\", \"label\": 1}\n{\"text\": \"dull\", \"label\": \"0\"}\n");

        var dataset = DatasetReader.Read(path, Classification);

        Assert.That(dataset.Examples.Select(e => (e.Input, e.Label)), Is.EqualTo(new[] { ("great film", "1"), ("dull", "0") }));
    }

    [Test]
    public void JsonLines_CustomFieldNames()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "q.jsonl", "{\"question\": \"2+2?\", \"answer\": \"four\", \"input\": \"ignored\"}\n");

        var dataset = DatasetReader.Read(path, new DatasetReaderOptions { InputFields = ["question"], TargetField = "answer" });

        Assert.That(dataset.Examples.Single(), Is.EqualTo(new Example("2+2?", "four", null, path, 1)));
    }

    [Test]
    public void JsonLines_MalformedRowsFailWithFileAndLine()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "bad.jsonl", "{\"input\": \"a\", \"target\": \"b\"}\n{\"input\": \"a\", \"target\": \n");

        var error = Assert.Throws<DatasetFormatException>(() => DatasetReader.Read(path));

        Assert.That(error!.LineNumber, Is.EqualTo(2));
        Assert.That(error.SourceFile, Is.EqualTo(path));
        Assert.That(error.Message, Does.StartWith($"{path}:2: bad JSON"));
    }

    [Test]
    public void JsonLines_MalformedRowsSkippedAreCountedAndTheFirstFewListed()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "mixed.jsonl", string.Join('\n',
            "{\"input\": \"good\", \"target\": \"1\"}",      // 1
            "not json",                                     // 2
            "[1, 2]",                                       // 3
            "{\"target\": \"no input\"}",                   // 4
            "{\"input\": \"  \", \"target\": \"x\"}",       // 5
            "{\"input\": \"no target\"}",                   // 6
            "{\"input\": \"good too\", \"target\": \"2\"}"  // 7
        ));

        var dataset = DatasetReader.Read(path, new DatasetReaderOptions { MalformedRows = MalformedRowPolicy.Skip, SkippedRowsListed = 3 });

        Assert.That(dataset.Examples.Select(e => e.LineNumber), Is.EqualTo(new[] { 1, 7 }));
        Assert.That(dataset.SkippedCount, Is.EqualTo(5));
        Assert.That(dataset.SkippedRows.Select(r => r.LineNumber), Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(dataset.SkippedRows[2].Reason, Does.Contain("missing input field"));
        Assert.That(dataset.SkippedRows[0].ToString(), Does.StartWith($"{path}:2: bad JSON"));
    }

    [Test]
    public void Csv_Rfc4180QuotingWithCommasDoubledQuotesAndLineBreaks()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "train.csv",
            "id,sentence,label\r\n" +
            "1,\"a, b\",pos\r\n" +
            "2,\"she said \"\"no\"\"\",neg\r\n" +
            "3,\"two\nlines\",pos\r\n" +
            "4,plain,neg\r\n");

        var dataset = DatasetReader.Read(path, Classification);

        Assert.That(dataset.Examples.Select(e => (e.Input, e.Label, e.LineNumber)), Is.EqualTo(new[]
        {
            ("a, b", "pos", 2), ("she said \"no\"", "neg", 3), ("two\nlines", "pos", 4), ("plain", "neg", 6),
        }), "a record that spans two lines pushes the next record's line number");
    }

    [Test]
    public void Csv_WrongColumnCountAndBadQuotesHaveTheirLineNumbers()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "bad.csv",
            "input,target\n" +       // 1
            "a,b\n" +                // 2
            "\"x\ny\",z,extra\n" +   // 3-4: three columns
            "\"q\"r,s\n" +           // 5: text after the closing quote
            "c,d\n");                // 6

        var dataset = DatasetReader.Read(path, new DatasetReaderOptions { MalformedRows = MalformedRowPolicy.Skip });

        Assert.That(dataset.Examples.Select(e => (e.Input, e.LineNumber)), Is.EqualTo(new[] { ("a", 2), ("c", 6) }));
        Assert.That(dataset.SkippedRows.Select(r => r.LineNumber), Is.EqualTo(new[] { 3, 5 }));
        Assert.That(dataset.SkippedRows[0].Reason, Does.Contain("3 columns where the header has 2"));

        var error = Assert.Throws<DatasetFormatException>(() => DatasetReader.Read(path));
        Assert.That(error!.LineNumber, Is.EqualTo(3));
    }

    [Test]
    public void Csv_UnclosedQuoteIsReportedAtTheRecordStart()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "open.csv", "input,target\na,b\n\"never closed,c\nmore\n");

        var error = Assert.Throws<DatasetFormatException>(() => DatasetReader.Read(path));

        Assert.That(error!.LineNumber, Is.EqualTo(3));
        Assert.That(error.Message, Does.Contain("not closed"));
    }

    [Test]
    public void Csv_HeaderWithoutTheTargetColumnNamesTheColumns()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "nohead.csv", "input,answer\na,b\n");

        var error = Assert.Throws<DatasetFormatException>(() => DatasetReader.Read(path));

        Assert.That(error!.Message, Does.Contain("no \"target\" column").And.Contain("input, answer"));
    }

    [Test]
    public void Tsv_TabsWithoutQuotingKeepQuotesLiterally()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "dev.tsv", "sentence\tlabel\n\"quoted\", with comma\t1\nsecond\t0\n\nwrong\tcolumn\tcount\n");

        var dataset = DatasetReader.Read(path, Classification with { MalformedRows = MalformedRowPolicy.Skip });

        Assert.That(dataset.Examples.Select(e => (e.Input, e.Label, e.LineNumber)),
            Is.EqualTo(new[] { ("\"quoted\", with comma", "1", 2), ("second", "0", 3) }));
        Assert.That(dataset.SkippedRows.Single().LineNumber, Is.EqualTo(5));
    }

    [Test]
    public void EmptyDataset_IsAnErrorNamingTheFile()
    {
        using var folder = new TemporaryFolder();
        string empty = Write(folder, "empty.jsonl", "\n\n");
        string headerOnly = Write(folder, "header.tsv", "input\ttarget\n");
        string allBad = Write(folder, "bad.jsonl", "nope\n");

        Assert.That(Assert.Throws<DatasetFormatException>(() => DatasetReader.Read(empty))!.Message, Is.EqualTo($"{empty}: the dataset is empty."));
        Assert.That(Assert.Throws<DatasetFormatException>(() => DatasetReader.Read(headerOnly))!.Message, Does.StartWith(headerOnly));
        var allBadError = Assert.Throws<DatasetFormatException>(() =>
            DatasetReader.Read(allBad, new DatasetReaderOptions { MalformedRows = MalformedRowPolicy.Skip }));
        Assert.That(allBadError!.Message, Does.Contain("all 1 rows were malformed"));
    }

    [Test]
    public void UnknownLabel_IsAnErrorNamingTheLabelAndLineEvenWhenSkipping()
    {
        using var folder = new TemporaryFolder();
        string path = Write(folder, "labels.csv", "text,label\ngood,positive\nbad,negativ\n");
        var options = Classification with { Labels = new LabelSet(["negative", "positive"]), MalformedRows = MalformedRowPolicy.Skip };

        var error = Assert.Throws<DatasetFormatException>(() => DatasetReader.Read(path, options));

        Assert.That(error!.LineNumber, Is.EqualTo(3));
        Assert.That(error.Message, Does.Contain("unknown label \"negativ\""));
    }

    [Test]
    public void FormatOf_UnknownExtensionIsRejected()
    {
        Assert.That(DatasetReader.FormatOf("a/b.TSV"), Is.EqualTo(DatasetFormat.Tsv));
        Assert.Throws<ArgumentException>(() => DatasetReader.FormatOf("data.parquet"));
    }
}

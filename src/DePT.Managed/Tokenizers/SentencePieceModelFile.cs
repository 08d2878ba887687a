using DePT.IO;
using System.Text;
using DePT.Models.MiniLm;

namespace DePT.Tokenizers;

/// <summary>
/// What DePT needs to know about a SentencePiece <c>ModelProto</c> (sentencepiece_model.proto) before handing it to
/// Microsoft.ML.Tokenizers: the pieces and their types, the model type and the special-token layout. Reading it
/// ourselves lets a wrong file fail with its path and the reason, instead of deep inside the library.
/// </summary>
internal sealed class SentencePieceModelFile
{
    // sentencepiece_model.proto field numbers.
    private const int ModelPieces = 1, ModelTrainerSpec = 2, ModelNormalizerSpec = 3;
    private const int PiecePiece = 1, PieceType = 3;
    private const int TrainerModelType = 3, TrainerUnkId = 40, TrainerBosId = 41, TrainerEosId = 42, TrainerPadId = 43,
        TrainerUnkPiece = 45, TrainerBosPiece = 46, TrainerEosPiece = 47, TrainerPadPiece = 48;

    /// <summary>ModelProto.SentencePiece.Type values.</summary>
    internal enum PieceKind { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    /// <summary>TrainerSpec.ModelType values.</summary>
    internal enum ModelKind { Unigram = 1, Bpe = 2, Word = 3, Char = 4 }

    private SentencePieceModelFile(List<string> pieces, List<PieceKind> kinds, int unknownId, int beginningId, int endId,
        int paddingId, string endPiece)
    {
        Pieces = pieces;
        Kinds = kinds;
        UnknownId = unknownId;
        BeginningOfSentenceId = beginningId;
        EndOfSentenceId = endId;
        PaddingId = paddingId;
        EndOfSentencePiece = endPiece;
    }

    public IReadOnlyList<string> Pieces { get; }
    public IReadOnlyList<PieceKind> Kinds { get; }
    public int UnknownId { get; }
    public int BeginningOfSentenceId { get; }
    public int EndOfSentenceId { get; }
    public int PaddingId { get; }
    public string EndOfSentencePiece { get; }

    /// <summary>Parses and checks a model. Fields that appear twice merge as protobuf merges them (the later
    /// value wins), which is also how Microsoft.ML.Tokenizers will read the same bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a SentencePiece model, or not one with T5's layout
    /// (unigram; pad, eos and unk pieces present; no BOS required).</exception>
    public static SentencePieceModelFile Parse(ReadOnlySpan<byte> model, string source)
    {
        if (model.IsEmpty)
            throw NotSentencePiece(source, "the file is empty");
        var pieces = new List<string>();
        var kinds = new List<PieceKind>();
        // proto2 defaults of TrainerSpec, used when the file leaves a field out.
        var modelType = ModelKind.Unigram;
        int unkId = 0, bosId = 1, eosId = 2, padId = -1;
        string unkPiece = "<unk>", eosPiece = "</s>", padPiece = "<pad>";
        bool sawTrainerSpec = false;
        try
        {
            var reader = new ProtobufWireReader(model, source);
            while (!reader.IsAtEnd)
            {
                var (field, wire) = reader.ReadKey();
                switch (field)
                {
                    case ModelPieces:
                        reader.Expect("ModelProto", field, wire, ProtobufWireType.LengthDelimited);
                        var (piece, kind) = ReadPiece(reader.ReadLengthDelimited(out long pieceOffset), source, pieceOffset, pieces.Count);
                        pieces.Add(piece);
                        kinds.Add(kind);
                        break;
                    case ModelTrainerSpec:
                        reader.Expect("ModelProto", field, wire, ProtobufWireType.LengthDelimited);
                        sawTrainerSpec = true;
                        var trainer = new ProtobufWireReader(reader.ReadLengthDelimited(out long trainerOffset), source, trainerOffset);
                        while (!trainer.IsAtEnd)
                        {
                            var (trainerField, trainerWire) = trainer.ReadKey();
                            switch (trainerField)
                            {
                                case TrainerModelType: modelType = (ModelKind)ReadInt32(ref trainer, trainerField, trainerWire); break;
                                case TrainerUnkId: unkId = ReadInt32(ref trainer, trainerField, trainerWire); break;
                                case TrainerBosId: bosId = ReadInt32(ref trainer, trainerField, trainerWire); break;
                                case TrainerEosId: eosId = ReadInt32(ref trainer, trainerField, trainerWire); break;
                                case TrainerPadId: padId = ReadInt32(ref trainer, trainerField, trainerWire); break;
                                case TrainerUnkPiece: unkPiece = ReadString(ref trainer, trainerField, trainerWire); break;
                                case TrainerEosPiece: eosPiece = ReadString(ref trainer, trainerField, trainerWire); break;
                                case TrainerPadPiece: padPiece = ReadString(ref trainer, trainerField, trainerWire); break;
                                default: trainer.Skip(trainerField, trainerWire); break;
                            }
                        }
                        break;
                    case ModelNormalizerSpec:
                        reader.Expect("ModelProto", field, wire, ProtobufWireType.LengthDelimited);
                        reader.ReadLengthDelimited(out _);
                        break;
                    default:
                        reader.Skip(field, wire);
                        break;
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw NotSentencePiece(source, e.Message, e);
        }

        if (pieces.Count == 0 || !sawTrainerSpec)
            throw NotSentencePiece(source, $"it has {pieces.Count} pieces and {(sawTrainerSpec ? "a" : "no")} trainer spec");
        if (modelType != ModelKind.Unigram)
            throw new InvalidDataException(
                $"SentencePiece model '{source}' is a {modelType} model; T5's tokenizer is a Unigram model, and only that kind is supported.");
        CheckSpecialPiece(source, "pad", padId, padPiece, PieceKind.Control, pieces, kinds);
        CheckSpecialPiece(source, "eos", eosId, eosPiece, PieceKind.Control, pieces, kinds);
        CheckSpecialPiece(source, "unk", unkId, unkPiece, PieceKind.Unknown, pieces, kinds);
        if (bosId >= pieces.Count)
            throw new InvalidDataException($"SentencePiece model '{source}': bos_id {bosId} is past its {pieces.Count} pieces.");
        return new SentencePieceModelFile(pieces, kinds, unkId, bosId, eosId, padId, eosPiece);
    }

    /// <summary>
    /// The bytes to give Microsoft.ML.Tokenizers. Its 2.0.1 unigram model indexes its piece table with bos_id and so
    /// throws IndexOutOfRangeException on models without BOS (bos_id = -1), which is T5's layout. A second
    /// trainer_spec holding only bos_id and bos_piece is appended: protobuf merges it into the first, so the library
    /// sees BOS as an alias of EOS. Nothing else changes, and BOS is never emitted because encoding never asks for it.
    /// </summary>
    public byte[] BytesForMicrosoftMl(byte[] model)
    {
        if (BeginningOfSentenceId >= 0)
            return model;
        var trainerSpec = new List<byte>();
        WriteVarint(trainerSpec, (TrainerBosId << 3) | (int)ProtobufWireType.Varint);
        WriteVarint(trainerSpec, EndOfSentenceId);
        byte[] piece = Encoding.UTF8.GetBytes(EndOfSentencePiece);
        WriteVarint(trainerSpec, (TrainerBosPiece << 3) | (int)ProtobufWireType.LengthDelimited);
        WriteVarint(trainerSpec, piece.Length);
        trainerSpec.AddRange(piece);

        var patched = new List<byte>(model.Length + trainerSpec.Count + 4);
        patched.AddRange(model);
        WriteVarint(patched, (ModelTrainerSpec << 3) | (int)ProtobufWireType.LengthDelimited);
        WriteVarint(patched, trainerSpec.Count);
        patched.AddRange(trainerSpec);
        return patched.ToArray();
    }

    private static (string Piece, PieceKind Kind) ReadPiece(ReadOnlySpan<byte> message, string source, long offset, int id)
    {
        var reader = new ProtobufWireReader(message, source, offset);
        string piece = "";
        var kind = PieceKind.Normal;
        while (!reader.IsAtEnd)
        {
            var (field, wire) = reader.ReadKey();
            switch (field)
            {
                case PiecePiece: piece = ReadString(ref reader, field, wire); break;
                case PieceType: kind = (PieceKind)ReadInt32(ref reader, field, wire); break;
                default: reader.Skip(field, wire); break;
            }
        }
        if (piece.Length == 0)
            throw reader.Malformed(offset, $"piece {id} is empty");
        if (kind is < PieceKind.Normal or > PieceKind.Byte)
            throw reader.Malformed(offset, $"piece {id} ('{piece}') has unknown type {(int)kind}");
        return (piece, kind);
    }

    private static int ReadInt32(ref ProtobufWireReader reader, int field, ProtobufWireType wire)
    {
        reader.Expect("SentencePiece message", field, wire, ProtobufWireType.Varint);
        // int32 and enum fields: negative values are sign-extended to 64 bits on the wire.
        return unchecked((int)reader.ReadInt64());
    }

    private static string ReadString(ref ProtobufWireReader reader, int field, ProtobufWireType wire)
    {
        reader.Expect("SentencePiece message", field, wire, ProtobufWireType.LengthDelimited);
        return reader.ReadString();
    }

    private static void CheckSpecialPiece(string source, string name, int id, string piece, PieceKind kind,
        List<string> pieces, List<PieceKind> kinds)
    {
        if (id < 0 || id >= pieces.Count)
            throw new InvalidDataException(
                $"SentencePiece model '{source}' is not laid out like T5's: {name}_id is {id} (T5 has pad 0, eos 1, unk 2 among its {pieces.Count} pieces).");
        if (pieces[id] != piece || kinds[id] != kind)
            throw new InvalidDataException(
                $"SentencePiece model '{source}': {name}_id {id} names piece '{pieces[id]}' of type {kinds[id]}, expected '{piece}' of type {kind}.");
    }

    private static InvalidDataException NotSentencePiece(string source, string reason, Exception? inner = null) =>
        new($"'{source}' is not a SentencePiece model (spiece.model): {reason}.", inner);

    private static void WriteVarint(List<byte> into, int value)
    {
        uint remaining = (uint)value;
        while (remaining >= 0x80)
        {
            into.Add((byte)(remaining | 0x80));
            remaining >>= 7;
        }
        into.Add((byte)remaining);
    }
}

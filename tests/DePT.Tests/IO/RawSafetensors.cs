using System.Buffers.Binary;
using System.Text;

namespace DePT.Tests.IO;

/// <summary>Builds safetensors files byte by byte, so tests can make files the writer never would.</summary>
internal static class RawSafetensors
{
    /// <summary>Writes the 8-byte length (the header's own unless overridden), the header text, then <paramref name="data"/>.</summary>
    public static void Write(string path, string headerJson, byte[] data, ulong? headerLengthField = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLengthField ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>One header entry: <c>"name":{"dtype":..,"shape":[..],"data_offsets":[b,e]}</c>.</summary>
    public static string Entry(string name, string dtype, long[] shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}}";

    /// <summary>A header object of the given entries.</summary>
    public static string Header(params string[] entries) => "{" + string.Join(",", entries) + "}";

    public static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        TestContext.CurrentContext.Random.NextBytes(bytes);
        return bytes;
    }
}

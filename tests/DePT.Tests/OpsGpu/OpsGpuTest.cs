using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Diagnostics;
using DePT.Numerics;
using DePT.Tensors;
using DePT.Tests.Support;

namespace DePT.Tests.OpsGpu;

/// <summary>
/// Base of the CUDA op suite: every op runs on the CUDA backend and on the CPU reference from the same
/// fresh random values (never zeros; for a bf16 GPU tensor the CPU gets the bf16-rounded values in f32, so
/// both start equal), with every output poisoned first (0xFF bytes: NaN), and the GPU result must lie
/// within a relative error ‖gpu − cpu‖/‖cpu‖ of the reference: 1e-5 for f32 outputs, 1e-2 for bf16 ones.
/// Tensors made here are disposed after each test.
/// </summary>
public abstract class OpsGpuTest : GpuFixture
{
    /// <summary>The bound for an f32 result.</summary>
    protected const double F32Bound = 1e-5;

    /// <summary>The bound for a bf16 result: its own rounding is 2⁻⁹ relative, plus bf16 intermediates.</summary>
    protected const double Bf16Bound = 1e-2;

    private readonly List<IDisposable> _live = [];

    /// <summary>The fp32 reference backend.</summary>
    protected CpuBackend Cpu { get; } = new();

    /// <summary>A generator seeded from NUnit's per-test random (printed with a failing test's seed).</summary>
    protected Random Rng { get; private set; } = new(0);

    [SetUp]
    public void Seed() => Rng = new Random(TestContext.CurrentContext.Random.Next());

    [TearDown]
    public void ReleaseTensors()
    {
        foreach (var t in _live) t.Dispose();
        _live.Clear();
    }

    /// <summary>Uniform in ±[0.05, 1)·scale: random signs, never zero.</summary>
    protected float[] Values(long count, float scale = 1f)
    {
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = (Rng.Next(2) == 0 ? -1 : 1) * (0.05f + 0.95f * Rng.NextSingle()) * scale;
        return v;
    }

    /// <summary>Uniform in [lo, hi).</summary>
    protected float[] Uniform(long count, float lo, float hi)
    {
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = lo + (hi - lo) * Rng.NextSingle();
        return v;
    }

    /// <summary>The same values on both backends: the GPU tensor in <paramref name="gpuType"/>, the CPU one in f32 holding what the GPU one holds.</summary>
    protected Pair Input(float[] values, DType gpuType, params int[] shape)
    {
        var cpu = Track(Cpu.Allocate(DType.F32, shape));
        cpu.CopyFrom(Rounded(values, gpuType));
        var gpu = Track(Gpu.Allocate(gpuType, shape));
        gpu.CopyFrom(values);
        return new Pair(cpu, gpu);
    }

    /// <summary>The same int32 values on both backends.</summary>
    protected Pair Ints(int[] values, params int[] shape)
    {
        var cpu = Track(Cpu.Allocate(DType.I32, shape));
        cpu.CopyFrom(values);
        var gpu = Track(Gpu.Allocate(DType.I32, shape));
        gpu.CopyFrom(values);
        return new Pair(cpu, gpu);
    }

    /// <summary>Outputs filled with 0xFF bytes (NaN for floats), so an element an op forgets to write shows up.</summary>
    protected Pair Poisoned(DType gpuType, params int[] shape)
    {
        var cpu = Track(Cpu.Allocate(gpuType == DType.I32 ? DType.I32 : DType.F32, shape));
        var gpu = Track(Gpu.Allocate(gpuType, shape));
        cpu.FillBytes(0xFF);
        gpu.FillBytes(0xFF);
        return new Pair(cpu, gpu);
    }

    /// <summary>Disposes a tensor or attention state made by the test when the test ends.</summary>
    protected T Track<T>(T disposable) where T : IDisposable
    {
        _live.Add(disposable);
        return disposable;
    }

    /// <summary>The GPU result against the CPU one: relative error below the bound of the GPU tensor's dtype, or <paramref name="bound"/>.</summary>
    /// <summary>
    /// The per-element scale of an accumulated (+=) bf16 result: old contents and the new term are each O(1) and each
    /// rounded to bf16 once, so where they cancel (a one-element output, say) the error is a bf16 step of the terms, not
    /// of their small sum.
    /// </summary>
    protected const double AccumulatedFloor = 0.5;

    protected void AssertClose(Pair result, string what, double? bound = null, double floor = 1e-3)
    {
        Gpu.Synchronize();
        double limit = bound ?? (result.Gpu.DType == DType.BF16 ? Bf16Bound : F32Bound);
        var actual = result.Gpu.ToFloatArray();
        var expected = result.Cpu.ToFloatArray();
        // Inputs are O(1); a result that cancels down to rounding noise (a one-element GELU far in its tail, the
        // gradient of a width-1 RMS norm, which is 0 in exact arithmetic) is compared on the scale 1e-3 per element
        // instead of its own, which would turn the noise of the two orders of summation into a relative error of 1.
        double error = ErrorMetrics.Relative(actual, expected, floor);
        Assert.That(error, Is.LessThan(limit),
            $"{what} {result.Gpu.ShapeText}: relative error {error:G3} (bound {limit:G3}); {ErrorMetrics.FirstMismatches(actual, expected, limit)}");
    }

    /// <summary>The values a tensor of <paramref name="dtype"/> really holds.</summary>
    protected static float[] Rounded(float[] values, DType dtype) =>
        dtype == DType.BF16 ? Array.ConvertAll(values, v => BFloat16.ToSingle(BFloat16.FromSingle(v))) : values;

    protected static long Count(int[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Runs an op on the CPU reference, then on the GPU; <c>gpu</c> says which side a call is on (pick tensors with <see cref="Pair.On"/>).</summary>
    protected void Both(Action<IBackend, bool> op)
    {
        op(Cpu, false);
        op(Gpu, true);
    }

    /// <summary>One tensor on each backend.</summary>
    protected readonly record struct Pair(Tensor Cpu, Tensor Gpu)
    {
        public Tensor On(bool gpu) => gpu ? Gpu : Cpu;
    }
}

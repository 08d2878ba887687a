using DePT.Models;

namespace DePT.Backends.Cpu;

/// <summary>
/// Scalar functions of the CPU reference, in double: the error function (.NET has none) and the
/// activations with their derivatives.
/// </summary>
internal static class CpuMath
{
    private const double SqrtHalf = 0.70710678118654752440;
    private const double InvSqrtTwoPi = 0.39894228040143267794;
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double GeluTanhCubic = 0.044715;

    // erf(x) = x · Σₙ cₙ x²ⁿ with cₙ = 2/√π · (−1)ⁿ / (n! (2n + 1)); 18 terms reach double rounding for |x| < 1.
    private static readonly double[] ErfTaylor = TaylorCoefficients(18);

    // erfcx(x) = exp(x²)·erfc(x) on [1, ∞) as a Chebyshev series in u = 1.5·t − 0.5, t = (x − 2)/(x + 2), which maps
    // [1, ∞) onto [−1, 1). Fitted here at 19 Chebyshev nodes against a 60-digit evaluation; the relative error is
    // below 6e-14 on [1, 30] (and erfc(x) underflows past x ≈ 27).
    private static readonly double[] ErfcxChebyshev =
    [
        0.17511521178456776, -0.2089725965481031, 0.03840189405511675, -0.0048457032421380586,
        0.00028029725103007546, 2.6666996596911497e-05, -5.726145557735566e-06, -1.569417138557188e-07,
        1.1374410520440688e-07, 1.738707276384703e-09, -2.681178580686108e-09, -8.648956289173906e-11,
        7.173415016560797e-11, 5.531928172547288e-12, -1.9592235194219106e-12, -3.09603145510514e-13,
        4.5317654422890045e-14, 1.498771827627425e-14, -2.866092312425892e-16,
    ];

    /// <summary>The error function; absolute error below 1e-13.</summary>
    public static double Erf(double x) => Math.Abs(x) < 1 ? ErfSmall(x) : 1 - Erfc(x);

    /// <summary>The complementary error function, with full relative accuracy in the right tail.</summary>
    public static double Erfc(double x)
    {
        double a = Math.Abs(x);
        if (a < 1) return 1 - ErfSmall(x);
        if (double.IsNaN(x)) return x;
        double tail = a > 27 ? 0 : Math.Exp(-a * a) * Erfcx(a);
        return x > 0 ? tail : 2 - tail;
    }

    /// <summary>fn(x).</summary>
    public static double Activate(ActivationFunction fn, double x)
    {
        switch (fn)
        {
            case ActivationFunction.Relu:
                return x > 0 ? x : 0;
            case ActivationFunction.Gelu:
                return 0.5 * x * Erfc(-x * SqrtHalf);
            case ActivationFunction.GeluTanh:
                return 0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x)));
            case ActivationFunction.Silu:
                return x / (1 + Math.Exp(-x));
            case ActivationFunction.Tanh:
                return Math.Tanh(x);
            default:
                throw Unknown(fn);
        }
    }

    /// <summary>fn′(x); ReLU′(0) = 0, as PyTorch takes it.</summary>
    public static double Derivative(ActivationFunction fn, double x)
    {
        switch (fn)
        {
            case ActivationFunction.Relu:
                return x > 0 ? 1 : 0;
            case ActivationFunction.Gelu:
                return 0.5 * Erfc(-x * SqrtHalf) + x * InvSqrtTwoPi * Math.Exp(-0.5 * x * x);
            case ActivationFunction.GeluTanh:
            {
                double t = Math.Tanh(SqrtTwoOverPi * (x + GeluTanhCubic * x * x * x));
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * GeluTanhCubic * x * x);
            }
            case ActivationFunction.Silu:
            {
                double s = 1 / (1 + Math.Exp(-x));
                return s * (1 + x * (1 - s));
            }
            case ActivationFunction.Tanh:
            {
                double t = Math.Tanh(x);
                return 1 - t * t;
            }
            default:
                throw Unknown(fn);
        }
    }

    private static ArgumentOutOfRangeException Unknown(ActivationFunction fn) => new(nameof(fn), fn, "Unknown activation function.");

    private static double ErfSmall(double x)
    {
        double x2 = x * x, sum = 0;
        for (int n = ErfTaylor.Length - 1; n >= 0; n--) sum = sum * x2 + ErfTaylor[n];
        return x * sum;
    }

    private static double Erfcx(double x)
    {
        double t = (x - 2) / (x + 2), u = 1.5 * t - 0.5;
        // Clenshaw's recurrence; the first coefficient is already halved.
        double b1 = 0, b2 = 0;
        for (int k = ErfcxChebyshev.Length - 1; k >= 1; k--)
        {
            double b0 = 2 * u * b1 - b2 + ErfcxChebyshev[k];
            b2 = b1;
            b1 = b0;
        }
        return u * b1 - b2 + ErfcxChebyshev[0];
    }

    private static double[] TaylorCoefficients(int count)
    {
        var c = new double[count];
        double factorial = 1;
        for (int n = 0; n < count; n++)
        {
            if (n > 0) factorial *= n;
            c[n] = 2 / Math.Sqrt(Math.PI) * (n % 2 == 0 ? 1 : -1) / (factorial * (2 * n + 1));
        }
        return c;
    }
}

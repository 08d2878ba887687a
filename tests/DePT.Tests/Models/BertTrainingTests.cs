using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Models.Bert;
using DePT.Models.Runtime;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>BERT training on the CPU: the backward (pooler included) against finite differences with hidden dropout on, and pooling.</summary>
public class BertTrainingTests
{
    private const int Batch = 2, Length = 7, Dim = 32;
    private readonly CpuBackend _cpu = new();

    [Test]
    public void Backward_WithDropoutAndPooler_MatchesFiniteDifferences()
    {
        using var folder = ModelFolder.Copy("bert", editConfig: json => json.Replace("\"hidden_dropout_prob\": 0.0", "\"hidden_dropout_prob\": 0.1"));
        using var model = BertModel.Load(_cpu, folder.Path, DType.F32);
        Assert.That(model.Config.HiddenDropoutProb, Is.EqualTo(0.1));
        float[] x = ModelTestData.Normal(Batch * Length * Dim);
        float[] probeHidden = ModelTestData.Normal(x.Length), probePooled = ModelTestData.Normal(Batch * Dim);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(Length, Length, 4), Batch, Length);
        var dropout = DropoutSettings.Training((ulong)TestContext.CurrentContext.Random.NextInt64());

        float[] gradient;
        using (var inputs = ModelTestData.Floats(_cpu, x, Batch, Length, Dim))
        using (var pass = model.ForwardTraining(inputs, mask, null, withPooler: true, dropout))
        using (var dHidden = ModelTestData.Floats(_cpu, probeHidden, Batch, Length, Dim))
        using (var dPooled = ModelTestData.Floats(_cpu, probePooled, Batch, Dim))
        using (var dInputs = pass.Backward(dHidden, dPooled))
            gradient = dInputs.ToFloatArray();

        double Loss(float[] values)
        {
            using var inputs = ModelTestData.Floats(_cpu, values, Batch, Length, Dim);
            using var pass = model.ForwardTraining(inputs, mask, null, withPooler: true, dropout);
            return ModelTestData.Dot(pass.LastHiddenState.ToFloatArray(), probeHidden) + ModelTestData.Dot(pass.PooledOutput!.ToFloatArray(), probePooled);
        }
        ModelTestData.AssertDirectionalDerivatives(x, gradient, Loss, eps: 3e-3);
    }

    [Test]
    public void Dropout_ChangesTrainingOutputsOnly()
    {
        using var folder = ModelFolder.Copy("bert", editConfig: json => json.Replace("\"hidden_dropout_prob\": 0.0", "\"hidden_dropout_prob\": 0.1"));
        using var model = BertModel.Load(_cpu, folder.Path, DType.F32);
        using var inputs = ModelTestData.Floats(_cpu, ModelTestData.Normal(Batch * Length * Dim), Batch, Length, Dim);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(Length, Length, 3), Batch, Length);

        using var evaluation = model.Forward(inputs, mask);
        using var offPass = model.ForwardTraining(inputs, mask, null, false, DropoutSettings.Off);
        using var trainPass = model.ForwardTraining(inputs, mask, null, false, DropoutSettings.Training(5));

        Assert.That(offPass.LastHiddenState.ToFloatArray(), Is.EqualTo(evaluation.LastHiddenState.ToFloatArray()));
        Assert.That(trainPass.LastHiddenState.ToFloatArray(), Is.Not.EqualTo(evaluation.LastHiddenState.ToFloatArray()));
    }

    [Test]
    public void Pool_MeanAndCls_FollowTheMask()
    {
        using var model = BertModel.Load(_cpu, System.IO.Path.Combine(ReferenceFixture.Root, "bert"), DType.F32);
        float[] hidden = ModelTestData.Normal(Batch * Length * Dim);
        using var states = ModelTestData.Floats(_cpu, hidden, Batch, Length, Dim);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(Length, Length, 3), Batch, Length);

        using var mean = model.Pool(states, mask, PoolingKind.Mean);
        using var cls = model.Pool(states, mask, PoolingKind.Cls);

        float[] meanValues = mean.ToFloatArray(), clsValues = cls.ToFloatArray();
        for (int j = 0; j < Dim; j++)
        {
            Assert.That(meanValues[Dim + j], Is.EqualTo((hidden[(Length + 0) * Dim + j] + hidden[(Length + 1) * Dim + j] + hidden[(Length + 2) * Dim + j]) / 3).Within(1e-5));
            Assert.That(clsValues[Dim + j], Is.EqualTo(hidden[Length * Dim + j]));
        }
    }

    [Test]
    public void Backward_Twice_IsRefused()
    {
        using var model = BertModel.Load(_cpu, System.IO.Path.Combine(ReferenceFixture.Root, "bert"), DType.F32);
        using var inputs = ModelTestData.Floats(_cpu, ModelTestData.Normal(Batch * Length * Dim), Batch, Length, Dim);
        using var mask = ModelTestData.Ints(_cpu, ModelTestData.Mask(Length, Length, 3), Batch, Length);
        using var pass = model.ForwardTraining(inputs, mask, null, false, DropoutSettings.Off);
        using var dHidden = ModelTestData.Floats(_cpu, ModelTestData.Normal(Batch * Length * Dim), Batch, Length, Dim);

        using (pass.Backward(dHidden)) { }

        Assert.Throws<InvalidOperationException>(() => pass.Backward(dHidden));
    }
}

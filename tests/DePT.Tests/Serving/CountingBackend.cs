using System.Reflection;
using System.Runtime.ExceptionServices;
using DePT.Backends;
using DePT.Backends.Cpu;

namespace DePT.Tests.Serving;

/// <summary>An <see cref="IBackend"/> that forwards to the CPU backend and counts the calls of each op, keeping the prompt parameters the input op was given.</summary>
public class CountingBackend : DispatchProxy
{
    private readonly IBackend _target = new CpuBackend();

    public Dictionary<string, int> Calls { get; } = [];

    public List<PromptParameters> PromptInputs { get; } = [];

    public static (IBackend Backend, CountingBackend Counter) Create()
    {
        var backend = Create<IBackend, CountingBackend>();
        return (backend, (CountingBackend)(object)backend);
    }

    public int Count(string op) => Calls.GetValueOrDefault(op);

    public void Reset()
    {
        Calls.Clear();
        PromptInputs.Clear();
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        Calls[targetMethod!.Name] = Count(targetMethod.Name) + 1;
        if (targetMethod.Name == nameof(IBackend.PromptInputForward)) PromptInputs.Add((PromptParameters)args![3]!);
        try
        {
            return targetMethod.Invoke(_target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

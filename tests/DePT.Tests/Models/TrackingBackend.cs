using System.Reflection;
using System.Runtime.ExceptionServices;
using DePT.Backends;
using DePT.Backends.Cpu;
using DePT.Tensors;

namespace DePT.Tests.Models;

/// <summary>An <see cref="IBackend"/> that forwards to the CPU backend and records every tensor it allocates.</summary>
public class TrackingBackend : DispatchProxy
{
    private IBackend _target = new CpuBackend();

    public List<Tensor> Allocated { get; } = [];

    public static (IBackend Backend, TrackingBackend Tracker) Create()
    {
        var backend = Create<IBackend, TrackingBackend>();
        return (backend, (TrackingBackend)(object)backend);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        try
        {
            object? result = targetMethod!.Invoke(_target, args);
            if (result is Tensor tensor) Allocated.Add(tensor);
            return result;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

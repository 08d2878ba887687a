using DePT.Diagnostics;

namespace DePT.Tests.Support;

/// <summary>The table of DePT input shapes every backend is checked on (odd sizes on purpose).</summary>
public static class PromptInputCases
{
    public static IEnumerable<TestCaseData> All()
    {
        yield return Case("typical", new PromptInputProblem(3, 17, 5, 64, 4, 24, 101));
        yield return Case("vanilla-pt", new PromptInputProblem(2, 9, 7, 40, 0, 9, 50));
        yield return Case("no-prompt-rows", new PromptInputProblem(2, 11, 0, 32, 3, 16, 40));
        yield return Case("odd-width", new PromptInputProblem(3, 13, 4, 37, 2, 20, 61));
        yield return Case("one-token", new PromptInputProblem(1, 1, 3, 24, 2, 8, 10));
        yield return Case("multi-prompt", new PromptInputProblem(5, 12, 6, 48, 3, 16, 77, NumPrompts: 3));
        yield return Case("wide", new PromptInputProblem(4, 33, 9, 1032, 5, 40, 300));
        yield return Case("L-equals-s", new PromptInputProblem(2, 16, 2, 16, 2, 16, 20));
    }

    private static TestCaseData Case(string name, PromptInputProblem problem) =>
        new TestCaseData(problem).SetArgDisplayNames($"{name}: {problem}");
}

using DePT.Prompts;

namespace DePT.Tests.Prompts;

/// <summary>The (m, r) pairs with vanilla prompt tuning's parameter count.</summary>
public class PromptBudgetTests
{
    [Test]
    public void T5BaseBudgetOfOneHundredHoldsThePapersShape()
    {
        var options = PromptBudget.Options(dim: 768, maxLength: 256, vanillaLength: 100);
        Assert.That(options, Does.Contain(new PromptBudgetOption(60, 30, 76_800, true)));
        Assert.That(options[0], Is.EqualTo(new PromptBudgetOption(100, 0, 76_800, true)), "rank 0 is vanilla PT");
        // r = 1: 76,800 − 1,024 = 75,776 leaves m = 98 (75,264), so 76,288 is the nearest count under the budget.
        Assert.That(options[1], Is.EqualTo(new PromptBudgetOption(98, 1, 76_288, false)));
        // Exact whenever 1024·r is a multiple of 768, i.e. r a multiple of 3.
        Assert.That(options.Where(o => o.IsExact).Select(o => o.Rank), Has.All.Matches<int>(r => r % 3 == 0));
        Assert.That(options.Count(o => o.IsExact), Is.EqualTo(options.Count(o => o.Rank % 3 == 0)));
    }

    [TestCase(768, 256, 100)]
    [TestCase(512, 128, 20)]
    [TestCase(1024, 256, 7)]
    public void EveryOptionIsTheLargestPromptUnderTheBudget(int dim, int maxLength, int vanillaLength)
    {
        long budget = (long)vanillaLength * dim;
        var options = PromptBudget.Options(dim, maxLength, vanillaLength);
        Assert.That(options.Select(o => o.Rank), Is.EqualTo(Enumerable.Range(0, options.Count)));
        foreach (var o in options)
        {
            Assert.That(o.ParameterCount, Is.EqualTo(PromptBudget.ParameterCount(o.PromptLength, o.Rank, dim, maxLength)));
            Assert.That(o.ParameterCount, Is.LessThanOrEqualTo(budget));
            Assert.That(o.ParameterCount + dim, Is.GreaterThan(budget), $"m={o.PromptLength} could grow at r={o.Rank}");
            Assert.That(o.IsExact, Is.EqualTo(o.ParameterCount == budget));
            Assert.That(o.PromptLength, Is.GreaterThanOrEqualTo(1));
        }
        int next = options.Count;
        Assert.That(budget - (long)next * (maxLength + dim), Is.LessThan(dim), "the next rank leaves no room for one prompt token");
    }
}

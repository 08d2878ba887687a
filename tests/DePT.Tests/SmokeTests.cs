namespace DePT.Tests;
public class SmokeTests { [Test] public void One() => Assert.That(1 + 1, Is.EqualTo(2)); [Test, Category("Gpu")] public void G() => Assert.Ignore("no gpu"); }

namespace SpeechTok.Tests.Conformance;

[Trait("Category", "Conformance")]
public sealed class FixtureDiscoveryTests
{
    [Fact]
    public void MissingPrefixFails()
    {
        Assert.Throws<InvalidOperationException>(() => FixtureRoot.Folders("no-such-fixture-prefix-"));
    }
}

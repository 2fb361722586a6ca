using ConnectLinks.Data;

namespace ConnectLinks.Tests.Api;

public sealed class IdsTests
{
    [Fact]
    public void IdsAreValidAndStrictlyIncreasingEvenWithinOneMillisecond()
    {
        var clock = new TestClock(DateTimeOffset.Parse("2026-11-21T10:00:00Z"));
        var ids = Enumerable.Range(0, 1000).Select(_ => Ids.New("evt", clock)).ToList();
        ids.ShouldAllBe(id => Ids.IsValid(id, "evt"));
        ids.ShouldBe(ids.Order(StringComparer.Ordinal).ToList());
        ids.Distinct().Count().ShouldBe(1000);
    }

    [Fact]
    public void IdsOfALaterMillisecondSortAfter()
    {
        var clock = new TestClock(DateTimeOffset.Parse("2026-11-21T10:00:00Z"));
        var first = Ids.New("lnk", clock);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        string.CompareOrdinal(Ids.New("lnk", clock), first).ShouldBeGreaterThan(0);
    }

    [Theory]
    [InlineData("lnk_01m808y8e312cqjz9v3vvk28sk", true)]
    [InlineData("lnk_01m808y8e312cqjz9v3vvk28s", false)]
    [InlineData("con_01m808y8e312cqjz9v3vvk28sk", false)]
    [InlineData("lnk_01m808y8e312cqjz9v3vvk28sU", false)]
    [InlineData("lnk-01m808y8e312cqjz9v3vvk28sk", false)]
    public void IsValidChecksPrefixLengthAndAlphabet(string id, bool valid) => Ids.IsValid(id, "lnk").ShouldBe(valid);
}

namespace ConnectLinks.Tests.Infrastructure;

/// <summary>A clock the test moves by hand (Microsoft.Extensions.TimeProvider.Testing does not restore here).</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public TestClock() : this(DateTimeOffset.UtcNow) { }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

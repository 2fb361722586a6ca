namespace ConnectLinks.Data;

public static class Clock
{
    /// <summary>Now, cut to whole milliseconds: what the database keeps, so a response and a later read agree.</summary>
    public static DateTimeOffset Now(this TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
    }
}

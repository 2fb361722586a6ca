namespace ConnectLinks.Webhooks;

/// <summary>Settings under <c>ConnectLinks:Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    /// <summary>Waits between attempts, in order (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h); after the last one the delivery fails.</summary>
    public TimeSpan[] RetrySchedule { get; set; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(24),
    ];

    /// <summary>How long one send may take before it counts as a failed attempt.</summary>
    public double TimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// How long a claim lasts. Must exceed the timeout: an instance that dies mid-send (kill -9) holds its
    /// deliveries until then, after which any instance takes them again.
    /// </summary>
    public double LeaseSeconds { get; set; } = 60;

    /// <summary>Sends in flight at once per instance.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>How often to look for work committed by other instances (own commits wake the dispatcher at once).</summary>
    public double PollIntervalSeconds { get; set; } = 1;

    /// <summary>Lets endpoints use http:// on loopback (tests, local development). https is required otherwise.</summary>
    public bool AllowHttpLoopback { get; set; }

    /// <summary>Finished deliveries and their attempts are pruned after this many days.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>How long a rotated-out secret keeps signing alongside the new one.</summary>
    public TimeSpan RotationGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Reads <c>ConnectLinks:Webhooks</c>. <c>RetrySchedule</c> may be a list (<c>RetrySchedule:0</c>, …) or one
    /// comma-separated string (<c>00:00:05,00:05:00</c>); either replaces the default schedule.
    /// </summary>
    public static WebhookOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection("ConnectLinks:Webhooks");
        var schedule = section.GetSection(nameof(RetrySchedule));
        var options = new WebhookOptions();
        // Note: the binder appends configured items to an array that has defaults, so the schedule is read on its own.
        section.Bind(options, o => o.ErrorOnUnknownConfiguration = false);
        if (schedule.Value is { Length: > 0 } text)
            options.RetrySchedule = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => TimeSpan.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        else if (schedule.GetChildren().Any())
            options.RetrySchedule = schedule.GetChildren().Select(c => TimeSpan.Parse(c.Value!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        else
            options.RetrySchedule = new WebhookOptions().RetrySchedule;
        return options;
    }
}

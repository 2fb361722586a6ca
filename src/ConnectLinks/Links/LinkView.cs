namespace ConnectLinks.Links;

/// <summary>A link as the API shows it. Never the token: that appears only in <see cref="CreatedLinkView"/>.</summary>
public class LinkView
{
    public string Id { get; init; } = "";
    public string Status { get; init; } = "";
    public string Kind { get; init; } = "";
    public string? Connector { get; init; }
    public string[] Connectors { get; init; } = [];
    public string[] Categories { get; init; } = [];
    public OwnerView Owner { get; init; } = new("", null, null);
    public string? Title { get; init; }
    public string? RedirectUri { get; init; }
    public string? WebhookUrl { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? OpenedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public int Uses { get; init; }
    public int MaxUses { get; init; }
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public string? ConnectionId { get; init; }
    public Dictionary<string, string> Metadata { get; init; } = [];
    public Dictionary<string, string> Prefill { get; init; } = [];

    public static LinkView From(Link link, DateTimeOffset now) => Map<LinkView>(link, now);

    protected static T Map<T>(Link l, DateTimeOffset now) where T : LinkView, new() => new()
    {
        Id = l.Id, Status = l.EffectiveStatus(now), Kind = l.Kind, Connector = l.Connector, Connectors = l.Connectors,
        Categories = l.Categories, Owner = new OwnerView(l.OwnerId, l.OwnerName, l.OwnerUsername), Title = l.Title,
        RedirectUri = l.RedirectUri, WebhookUrl = l.WebhookUrl, ExpiresAt = l.ExpiresAt, CreatedAt = l.CreatedAt,
        OpenedAt = l.OpenedAt, CompletedAt = l.CompletedAt, RevokedAt = l.RevokedAt, Uses = l.Uses, MaxUses = l.MaxUses,
        Attempts = l.Attempts, MaxAttempts = l.MaxAttempts, ConnectionId = l.ConnectionId, Metadata = l.Metadata, Prefill = l.Prefill,
    };
}

/// <summary>The owner block of a link.</summary>
public sealed record OwnerView(string Id, string? Name, string? Username);

/// <summary>The create and regenerate response: the link plus its secret token and URL, shown only this once.</summary>
public sealed class CreatedLinkView : LinkView
{
    public string Token { get; private set; } = "";
    public string Url { get; private set; } = "";

    public static CreatedLinkView From(Link link, DateTimeOffset now, string token, string baseUrl)
    {
        var view = Map<CreatedLinkView>(link, now);
        view.Token = token;
        view.Url = $"{baseUrl}/connect/{token}";
        return view;
    }
}

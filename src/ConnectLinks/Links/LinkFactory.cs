using ConnectLinks.Data;
using ConnectLinks.Organizations;
using ConnectLinks.Security;

namespace ConnectLinks.Links;

/// <summary>Builds a new link from a validated request; shared by the API and the CLI.</summary>
public static class LinkFactory
{
    /// <summary>The link row and its token; the row holds only the token's hash.</summary>
    public static (Link Link, string Token) New(CreateLinkRequest request, Organization org, TimeProvider clock)
    {
        var now = clock.Now();
        var token = OpaqueToken.New(OpaqueToken.LinkPrefix);
        var link = new Link
        {
            Id = Ids.New("lnk", clock),
            OrganizationId = org.Id,
            TokenHash = OpaqueToken.Hash(token),
            Kind = request.Kind ?? LinkKind.Destination,
            Connector = request.Connector,
            Connectors = request.Connector is not null ? [request.Connector] : request.Connectors ?? [],
            Categories = request.Categories ?? [],
            OwnerId = request.Owner!.Id!,
            OwnerName = request.Owner.Name,
            OwnerUsername = request.Owner.Username,
            Title = request.Title,
            RedirectUri = request.RedirectUri,
            WebhookUrl = request.WebhookUrl,
            CreatedAt = now,
            ExpiresAt = now.AddSeconds(request.ExpiresIn ?? org.DefaultLinkTtlSeconds),
            MaxUses = request.MaxUses ?? 1,
            MaxAttempts = request.MaxAttempts ?? 10,
            ConnectionId = request.ConnectionId,
            IsReconnect = request.ConnectionId is not null,
            Metadata = request.Metadata ?? [],
            Prefill = request.Prefill ?? [],
        };
        return (link, token);
    }
}

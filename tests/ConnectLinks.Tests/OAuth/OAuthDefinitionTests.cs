using ConnectLinks.Connectors;
using ConnectLinks.Tests.Connectors;

namespace ConnectLinks.Tests.OAuth;

/// <summary>The shipped OAuth connector definitions and the rules the catalog holds them to.</summary>
public sealed class OAuthDefinitionTests
{
    private static readonly string[] RealProviders = ["google", "microsoft", "salesforce", "hubspot-oauth", "xero", "quickbooks"];

    [Fact]
    public void EveryRealProviderHasHttpsEndpointsScopesAndATestRequest()
    {
        foreach (var id in RealProviders)
        {
            var connector = ConnectorTestKit.Connector(id);
            connector.AuthMode.ShouldBe("oauth2");
            var spec = connector.OAuth2.ShouldNotBeNull();
            new Uri(spec.AuthorizationUrl).Scheme.ShouldBe("https", id);
            new Uri(spec.TokenUrl).Scheme.ShouldBe("https", id);
            new Uri(connector.Http!.BaseUrl).Scheme.ShouldBe("https", id);
            spec.Scopes.ShouldNotBeEmpty(id);
            spec.ClientAuth.ShouldBeOneOf(OAuth2Spec.ClientSecretBasic, OAuth2Spec.ClientSecretPost);
            connector.Http.Requests.ShouldHaveSingleItem().JsonPath.ShouldNotBeNull(id);
            connector.Checks.Select(c => c.Id).First().ShouldBe("host");
            connector.Fields.Select(f => f.Name).ShouldBe(["access_token", "refresh_token", "expires_at", "token_type", "scope"]);
            connector.Fields.ShouldAllBe(f => f.Secret);
        }
        // Providers that issue refresh tokens only when asked.
        ConnectorTestKit.Connector("google").OAuth2!.AuthorizeParams["access_type"].ShouldBe("offline");
        ConnectorTestKit.Connector("microsoft").OAuth2!.Scopes.ShouldContain("offline_access");
        ConnectorTestKit.Connector("xero").OAuth2!.Scopes.ShouldContain("offline_access");
        ConnectorTestKit.Connector("salesforce").OAuth2!.Scopes.ShouldContain("refresh_token");
        ConnectorTestKit.Connector("salesforce").OAuth2!.DefaultExpiresIn.ShouldBe(7200);
    }

    [Fact]
    public void AnOAuthDefinitionMustBeConsistent()
    {
        var good = ConnectorTestKit.Connector("oidc-test") with { Fields = [], Checks = [] };
        ConnectorCatalog.Complete(good, "good.json").Fields.Count.ShouldBe(5);
        Should.Throw<InvalidOperationException>(() => ConnectorCatalog.Complete(good with { OAuth2 = null }, "x.json")).Message.ShouldContain("'oauth2' section");
        Should.Throw<InvalidOperationException>(() => ConnectorCatalog.Complete(good with { OAuth2 = good.OAuth2! with { ClientAuth = "private_key_jwt" } }, "x.json"))
            .Message.ShouldContain("clientAuth");
        Should.Throw<InvalidOperationException>(() => ConnectorCatalog.Complete(good with { OAuth2 = good.OAuth2! with { TokenUrl = "/token" } }, "x.json"))
            .Message.ShouldContain("absolute");
        Should.Throw<InvalidOperationException>(() => ConnectorCatalog.Complete(good with { Fields = [new ConnectorField { Name = "x", Label = "X" }] }, "x.json"))
            .Message.ShouldContain("no form fields");
    }
}

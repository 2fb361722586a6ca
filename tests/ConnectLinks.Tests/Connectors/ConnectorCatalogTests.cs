using ConnectLinks.Connectors;

namespace ConnectLinks.Tests.Connectors;

public class ConnectorCatalogTests
{
    private static readonly ConnectorCatalog Catalog = ConnectorTestKit.Catalog;

    [Fact]
    public void CatalogLoadsEveryShippedDefinition()
    {
        Catalog.All.Select(c => c.Id).Order().ShouldBe(
            ["airtable", "google", "http-basic", "http-bearer", "hubspot", "hubspot-oauth", "microsoft", "mysql", "oidc-test", "oidc-test-post",
             "pipedrive", "postgres", "postmark", "quickbooks", "redis", "s3", "salesforce", "stripe", "xero"]);
        Catalog.Categories.ShouldBe(["accounting", "api", "crm", "database", "identity", "payments", "productivity", "storage"]);
        Catalog.Find("POSTGRES").ShouldBeSameAs(Catalog.Find("postgres"));
        Catalog.Find("nope").ShouldBeNull();
    }

    [Fact]
    public void EveryConnectorHasALogoChecksAndATester()
    {
        var testers = new[] { "postgres", "mysql", "redis", "s3", "http" };
        foreach (var connector in Catalog.All)
        {
            connector.LogoUrl.ShouldNotBeNull().ShouldStartWith("data:image/svg+xml,");
            connector.Checks.ShouldNotBeEmpty();
            testers.ShouldContain(connector.Tester);
            connector.Fields.ShouldContain(f => f.Secret, $"{connector.Id} has no secret field");
        }
    }

    [Fact]
    public void PostgresChecksRunInTheSpecifiedOrder() =>
        Catalog.Find("postgres")!.Checks.Select(c => c.Id).ShouldBe(["dns", "tcp", "tls", "auth", "select1", "database", "privileges"]);

    [Fact]
    public void HttpConnectorChecksComeFromItsTestRequests() =>
        Catalog.Find("hubspot")!.Checks.ShouldBe([new ConnectorCheckInfo("host", "Host name resolves"), new ConnectorCheckInfo("contacts", "Read contacts")]);

    [Fact]
    public void ValidValuesHaveNoErrors() =>
        Catalog.Find("postgres")!.Validate(new Dictionary<string, string?>
        {
            ["host"] = "db.example.com", ["port"] = "5432", ["database"] = "d", ["username"] = "u", ["password"] = "p", ["sslmode"] = "require",
        }).ShouldBeEmpty();

    [Fact]
    public void ValidationExplainsEachProblemInPlainLanguage()
    {
        var errors = Catalog.Find("postgres")!.Validate(new Dictionary<string, string?>
        {
            ["host"] = new string('h', 256),
            ["port"] = "70000",
            ["username"] = "u",
            ["password"] = "  ",
            ["sslmode"] = "verify-full",
            ["colour"] = "blue",
        });

        errors["host"].ShouldBe(["Host must be at most 255 characters."]);
        errors["port"].ShouldBe(["Port must be between 1 and 65535."]);
        errors["database"].ShouldBe(["Database is required."]);
        errors["password"].ShouldBe(["Password is required."]);
        errors["sslmode"].ShouldBe(["SSL mode must be one of: disable, prefer, require."]);
        errors["colour"].ShouldBe(["'colour' is not a field of PostgreSQL."]);
        errors.Keys.Order().ShouldBe(["colour", "database", "host", "password", "port", "sslmode"]);
    }

    [Fact]
    public void NumberAndBooleanFieldsRejectOtherText()
    {
        Catalog.Find("redis")!.Validate(new Dictionary<string, string?> { ["host"] = "h", ["port"] = "63a79" })["port"]
            .ShouldBe(["Port must be a whole number."]);
        Catalog.Find("s3")!.Validate(new Dictionary<string, string?>
        {
            ["access_key_id"] = "a", ["secret_access_key"] = "s", ["bucket"] = "b", ["write_probe"] = "maybe",
        })["write_probe"].ShouldBe(["Test writing must be true or false."]);
    }

    [Fact]
    public void DefaultsFillBlankOptionalFields()
    {
        var values = Catalog.Find("postgres")!.WithDefaults(new Dictionary<string, string?> { ["host"] = " db ", ["port"] = "" });
        values["host"].ShouldBe("db");
        values["port"].ShouldBe("5432");
        values["sslmode"].ShouldBe("prefer");
        values["schema"].ShouldBe("public");
    }

    [Fact]
    public void SplitKeepsSecretsApartFromConfiguration()
    {
        var split = Catalog.Find("postgres")!.Split(new Dictionary<string, string?>
        {
            ["host"] = "db", ["database"] = "d", ["username"] = "u", ["password"] = " p@ss ",
        });
        split.Secrets.ShouldBe(new Dictionary<string, string> { ["password"] = " p@ss " });
        split.Config.Keys.ShouldNotContain("password");
        split.Config["host"].ShouldBe("db");
        split.Config["port"].ShouldBe("5432");
    }

    [Fact]
    public async Task InvalidValuesFailTheFirstCheckWithoutConnecting()
    {
        var result = await ConnectorTestKit.Tester().TestAsync(Catalog.Find("postgres")!,
            new Dictionary<string, string?> { ["host"] = "db", ["port"] = "x", ["password"] = "hunter22" }, CancellationToken.None);

        result.Ok.ShouldBeFalse();
        result.Statuses().ShouldBe("dns:failed,tcp:skipped,tls:skipped,auth:skipped,select1:skipped,database:skipped,privileges:skipped");
        result.Check("dns").Message.ShouldBe("Some fields are not filled in correctly: Port must be a whole number. Database is required. Username is required.");
    }
}

public class SecretScrubbingTests
{
    [Theory]
    [InlineData("auth failed for Hunter22!", "Hunter22!", "auth failed for [redacted]")]
    [InlineData("AUTH FAILED FOR HUNTER22!", "Hunter22!", "AUTH FAILED FOR [redacted]")]
    [InlineData("password ' Hunter22 ' rejected", " Hunter22 ", "password '[redacted]' rejected")]
    [InlineData("password 'Hunter22' rejected", " Hunter22 ", "password '[redacted]' rejected")]
    [InlineData("pw pw2 pwd: pw", "pw", "[redacted] pw2 pwd: [redacted]")]
    [InlineData("this service", "s", "this service")]
    public void SecretsAreRemovedFromMessages(string message, string secret, string expected) =>
        ConnectLinks.Connectors.ConnectionTester.Scrub(message, [secret]).ShouldBe(expected);
}

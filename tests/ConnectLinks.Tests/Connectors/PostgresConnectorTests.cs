using ConnectLinks.Connectors;

namespace ConnectLinks.Tests.Connectors;

/// <summary>Against the PostgreSQL started by scripts/servers/start.sh (SCRAM password auth over TCP).</summary>
public class PostgresConnectorTests
{
    private static readonly ConnectorDefinition Postgres = ConnectorTestKit.Connector("postgres");

    private static Dictionary<string, string?> AppUser(string sslmode = "disable") => new()
    {
        ["host"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_HOST"),
        ["port"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_PORT"),
        ["database"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_DATABASE"),
        ["username"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_USER"),
        ["password"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_PASSWORD"),
        ["sslmode"] = sslmode,
    };

    private static Task<ConnectionTestResult> Test(Dictionary<string, string?> values) =>
        ConnectorTestKit.Tester().TestAsync(Postgres, values, CancellationToken.None);

    [Fact]
    public async Task LeastPrivilegeUserPassesEveryCheck()
    {
        var result = await Test(AppUser());

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:passed,select1:passed,database:passed,privileges:passed", result.Describe());
        result.Check("privileges").Message.ShouldBe("'app' has USAGE and CREATE on schema 'public'.");
        result.Checks.ShouldAllBe(c => c.DurationMs >= 0 && c.DurationMs < 10_000);
    }

    [Fact]
    public async Task WrongPasswordFailsSignInAndNeverShowsThePassword()
    {
        var values = AppUser();
        values["password"] = "Wr0ng-Secret-Value";

        var result = await Test(values);

        result.Ok.ShouldBeFalse();
        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:failed,select1:skipped,database:skipped,privileges:skipped", result.Describe());
        result.Check("auth").Message.ShouldBe("password authentication failed for user \"app\".");
        result.Check("auth").Hint.ShouldNotBeNull().ShouldContain("password");
        result.ShouldNotContainSecret("Wr0ng-Secret-Value");
    }

    [Fact]
    public async Task MissingDatabaseIsReportedByTheDatabaseCheck()
    {
        var values = AppUser();
        values["database"] = "no_such_db";

        var result = await Test(values);

        result.Ok.ShouldBeFalse();
        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:passed,select1:passed,database:failed,privileges:skipped", result.Describe());
        result.Check("database").Message.ShouldBe("The database 'no_such_db' does not exist.");
        result.Check("database").Hint.ShouldNotBeNull().ShouldContain("appdb");
    }

    [Fact]
    public async Task ClosedPortFailsTheTcpCheck()
    {
        var values = AppUser();
        var port = ConnectorTestKit.ClosedPort();
        values["port"] = port.ToString();

        var result = await Test(values);

        result.Statuses().ShouldBe("dns:passed,tcp:failed,tls:skipped,auth:skipped,select1:skipped,database:skipped,privileges:skipped", result.Describe());
        result.Check("tcp").Message.ShouldBe($"Nothing is listening on 127.0.0.1:{port} (connection refused).");
    }

    [Fact]
    public async Task RequireTlsAgainstAServerWithoutTlsFailsTheTlsCheck()
    {
        var result = await Test(AppUser(sslmode: "require"));

        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:failed,auth:skipped,select1:skipped,database:skipped,privileges:skipped", result.Describe());
        result.Check("tls").Message.ShouldBe("The server does not offer TLS, but sslmode is require.");
    }

    [Fact]
    public async Task PreferTlsAgainstAServerWithoutTlsWarnsAndContinues()
    {
        var result = await Test(AppUser(sslmode: "prefer"));

        result.Ok.ShouldBeTrue(result.Describe());
        result.Check("tls").Status.ShouldBe(CheckResult.Warning);
        result.Check("privileges").Status.ShouldBe(CheckResult.Passed);
    }

    [Fact]
    public async Task SuperuserGetsALeastPrivilegeWarning()
    {
        var values = AppUser();
        values["username"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_SUPERUSER");
        values["password"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_SUPERUSER_PASSWORD");

        var result = await Test(values);

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:passed,select1:passed,database:passed,privileges:warning", result.Describe());
        result.Check("privileges").Message.ShouldNotBeNull().ShouldContain("superuser");
        result.Check("privileges").Hint.ShouldNotBeNull().ShouldContain("privileges needed");
    }

    [Fact]
    public async Task MissingSchemaFailsThePrivilegesCheck()
    {
        var values = AppUser();
        values["schema"] = "no_such_schema";

        var result = await Test(values);

        result.Check("privileges").Status.ShouldBe(CheckResult.Failed, result.Describe());
        result.Check("privileges").Message.ShouldBe("The schema 'no_such_schema' does not exist in database 'appdb'.");
    }

    [Fact]
    public async Task RequireTlsAgainstAServerWithTlsNegotiatesItAndSignsIn()
    {
        var values = AppUser(sslmode: "require");
        values["port"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_TLS_PORT");
        values["database"] = "postgres";
        values["username"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_SUPERUSER");
        values["password"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_PG_SUPERUSER_PASSWORD");

        var result = await Test(values);

        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:passed,select1:passed,database:passed,privileges:warning", result.Describe());
        result.Check("tls").Message.ShouldNotBeNull().ShouldStartWith("TLS Tls1");
    }

    [Fact]
    public async Task UnknownHostFailsTheFirstCheck()
    {
        var values = AppUser();
        values["host"] = "no-such-host.invalid";

        var result = await Test(values);

        result.Statuses().ShouldBe("dns:failed,tcp:skipped,tls:skipped,auth:skipped,select1:skipped,database:skipped,privileges:skipped", result.Describe());
        result.Check("dns").Message.ShouldBe("The host 'no-such-host.invalid' could not be found (no such host).");
    }
}

using ConnectLinks.Connectors;

namespace ConnectLinks.Tests.Connectors;

/// <summary>Against the MariaDB 10.11 started by scripts/servers/start.sh, through MySql.Data 8.0.16.</summary>
public class MySqlConnectorTests
{
    private static readonly ConnectorDefinition MySql = ConnectorTestKit.Connector("mysql");

    private static Dictionary<string, string?> AppUser(string sslmode = "disable") => new()
    {
        ["host"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_MYSQL_HOST"),
        ["port"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_MYSQL_PORT"),
        ["database"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_MYSQL_DATABASE"),
        ["username"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_MYSQL_USER"),
        ["password"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_MYSQL_PASSWORD"),
        ["sslmode"] = sslmode,
    };

    private static Task<ConnectionTestResult> Test(Dictionary<string, string?> values) =>
        ConnectorTestKit.Tester().TestAsync(MySql, values, CancellationToken.None);

    [Fact]
    public async Task AppUserPassesEveryCheck()
    {
        var result = await Test(AppUser());

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:passed,select1:passed,database:passed,privileges:passed", result.Describe());
    }

    [Fact]
    public async Task WrongPasswordFailsSignInAndNeverShowsThePassword()
    {
        var values = AppUser();
        values["password"] = "Wr0ng-MySql-Secret";

        var result = await Test(values);

        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:failed,select1:skipped,database:skipped,privileges:skipped", result.Describe());
        result.Check("auth").Message.ShouldBe("Access denied for user 'app': the password was not accepted from this address.");
        result.ShouldNotContainSecret("Wr0ng-MySql-Secret");
    }

    [Fact]
    public async Task MissingDatabaseIsReportedByTheDatabaseCheck()
    {
        var values = AppUser();
        values["database"] = "no_such_db";

        var result = await Test(values);

        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:passed,select1:passed,database:failed,privileges:skipped", result.Describe());
        result.Check("database").Message.ShouldBe("The database 'no_such_db' does not exist, or 'app' has no access to it.");
    }

    [Fact]
    public async Task ClosedPortFailsTheTcpCheck()
    {
        var values = AppUser();
        values["port"] = ConnectorTestKit.ClosedPort().ToString();

        var result = await Test(values);

        result.Statuses().ShouldBe("dns:passed,tcp:failed,tls:skipped,auth:skipped,select1:skipped,database:skipped,privileges:skipped", result.Describe());
    }

    [Fact]
    public async Task RequireTlsAgainstAServerWithoutTlsFailsTheTlsCheck()
    {
        var result = await Test(AppUser(sslmode: "require"));

        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:failed,auth:skipped,select1:skipped,database:skipped,privileges:skipped", result.Describe());
        result.Check("tls").Message.ShouldBe("The server does not offer TLS, but sslmode is require.");
    }

    [Fact]
    public async Task UserWithPrivilegesOnEveryDatabaseGetsALeastPrivilegeWarning()
    {
        var values = AppUser();
        values["username"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_MYSQL_SUPERUSER");
        values["password"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_MYSQL_SUPERUSER_PASSWORD");

        var result = await Test(values);

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("dns:passed,tcp:passed,tls:passed,auth:passed,select1:passed,database:passed,privileges:warning", result.Describe());
        result.Check("privileges").Message.ShouldBe("'admin' has privileges on every database of this server.");
    }
}

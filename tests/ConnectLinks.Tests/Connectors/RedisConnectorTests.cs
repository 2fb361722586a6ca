using ConnectLinks.Connectors;

namespace ConnectLinks.Tests.Connectors;

/// <summary>Against the redis-server started by scripts/servers/start.sh (default user off, ACL user app).</summary>
public class RedisConnectorTests
{
    private static readonly ConnectorDefinition Redis = ConnectorTestKit.Connector("redis");

    private static Dictionary<string, string?> AclUser() => new()
    {
        ["host"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_REDIS_HOST"),
        ["port"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_REDIS_PORT"),
        ["username"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_REDIS_USER"),
        ["password"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_REDIS_PASSWORD"),
    };

    private static Task<ConnectionTestResult> Test(Dictionary<string, string?> values) =>
        ConnectorTestKit.Tester().TestAsync(Redis, values, CancellationToken.None);

    [Fact]
    public async Task AclUserPassesEveryCheck()
    {
        var result = await Test(AclUser());

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("connect:passed,auth:passed,ping:passed,whoami:passed", result.Describe());
        result.Check("whoami").Message.ShouldBe("Signed in as 'app'.");
    }

    [Fact]
    public async Task WrongPasswordFailsAuthAndNeverShowsThePassword()
    {
        var values = AclUser();
        values["password"] = "Wr0ng-Redis-Secret";

        var result = await Test(values);

        result.Statuses().ShouldBe("connect:passed,auth:failed,ping:skipped,whoami:skipped", result.Describe());
        result.Check("auth").Message.ShouldBe("The username or password was not accepted (or the user is disabled).");
        result.ShouldNotContainSecret("Wr0ng-Redis-Secret");
    }

    [Fact]
    public async Task PasswordWithoutUsernameSignsInAsTheDisabledDefaultUserAndFails()
    {
        var values = AclUser();
        values["username"] = "";

        var result = await Test(values);

        result.Statuses().ShouldBe("connect:passed,auth:failed,ping:skipped,whoami:skipped", result.Describe());
    }

    [Fact]
    public async Task NoPasswordFailsAtPingBecauseTheServerRequiresOne()
    {
        var values = AclUser();
        values["username"] = "";
        values["password"] = "";

        var result = await Test(values);

        result.Statuses().ShouldBe("connect:passed,auth:passed,ping:failed,whoami:skipped", result.Describe());
        result.Check("ping").Message.ShouldBe("The server requires a password.");
    }

    [Fact]
    public async Task ClosedPortFailsTheConnectCheck()
    {
        var values = AclUser();
        var port = ConnectorTestKit.ClosedPort();
        values["port"] = port.ToString();

        var result = await Test(values);

        result.Statuses().ShouldBe("connect:failed,auth:skipped,ping:skipped,whoami:skipped", result.Describe());
        result.Check("connect").Message.ShouldBe($"Nothing is listening on 127.0.0.1:{port} (connection refused).");
    }
}

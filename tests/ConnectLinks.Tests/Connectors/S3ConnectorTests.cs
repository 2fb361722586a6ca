using ConnectLinks.Connectors;

namespace ConnectLinks.Tests.Connectors;

/// <summary>Against the s3rver started by scripts/servers/start.sh (it checks access key ids, not secrets).</summary>
public class S3ConnectorTests
{
    private static readonly ConnectorDefinition S3 = ConnectorTestKit.Connector("s3");

    private static Dictionary<string, string?> Values(bool writeProbe = false) => new()
    {
        ["access_key_id"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_S3_ACCESS_KEY_ID"),
        ["secret_access_key"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_S3_SECRET_ACCESS_KEY"),
        ["bucket"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_S3_BUCKET"),
        ["endpoint_url"] = ConnectorTestKit.Env("CONNECTLINKS_TEST_S3_URL"),
        ["region"] = "us-east-1",
        ["write_probe"] = writeProbe ? "true" : "false",
    };

    private static Task<ConnectionTestResult> Test(Dictionary<string, string?> values) =>
        ConnectorTestKit.Tester().TestAsync(S3, values, CancellationToken.None);

    [Fact]
    public async Task ValidCredentialsPassAndTheWriteProbeIsSkippedUnlessAsked()
    {
        var result = await Test(Values());

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("credentials:passed,bucket:passed,list:passed,write:skipped", result.Describe());
        result.Check("write").Message.ShouldNotBeNull().ShouldStartWith("Not requested");
    }

    [Fact]
    public async Task WriteProbeWritesAndDeletesAnObject()
    {
        var result = await Test(Values(writeProbe: true));

        result.Ok.ShouldBeTrue(result.Describe());
        result.Statuses().ShouldBe("credentials:passed,bucket:passed,list:passed,write:passed", result.Describe());
        // The probe is deleted: the next listing finds the bucket as empty as before.
        (await Test(Values())).Check("list").Message.ShouldBe("Objects can be listed (the bucket is empty).");
    }

    [Fact]
    public async Task UnknownAccessKeyFailsTheCredentialsCheck()
    {
        var values = Values();
        values["access_key_id"] = "AKIAWRONGKEY";
        values["secret_access_key"] = "Wr0ng-S3-Secret";

        var result = await Test(values);

        result.Ok.ShouldBeFalse();
        result.Statuses().ShouldBe("credentials:failed,bucket:skipped,list:skipped,write:skipped", result.Describe());
        result.Check("credentials").Message.ShouldBe("The access key ID is not known to the server.");
        result.ShouldNotContainSecret("Wr0ng-S3-Secret");
    }

    [Fact]
    public async Task MissingBucketFailsTheBucketCheck()
    {
        var values = Values();
        values["bucket"] = "no-such-bucket";

        var result = await Test(values);

        result.Statuses().ShouldBe("credentials:passed,bucket:failed,list:skipped,write:skipped", result.Describe());
        result.Check("bucket").Message.ShouldBe("The bucket 'no-such-bucket' does not exist.");
    }
}

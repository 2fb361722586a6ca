using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ConnectLinks.Security;

namespace ConnectLinks.Connectors.Testers;

/// <summary>
/// Tests an S3 (or S3-compatible) bucket: credentials valid, bucket exists, list, and
/// optionally write and delete a probe object. All traffic goes through the network guard.
/// </summary>
public sealed class S3Tester(NetworkGuard guard) : IConnectorTester
{
    public string Protocol => "s3";

    public async Task RunAsync(ConnectorDefinition connector, IReadOnlyDictionary<string, string?> values, ConnectorCheckRun run, CancellationToken ct)
    {
        var bucket = values.Text("bucket");
        var region = values.Text("region") is { Length: > 0 } r ? r : "us-east-1";
        var endpoint = values.Text("endpoint_url");
        var config = new AmazonS3Config
        {
            HttpClientFactory = new GuardedHttpClientFactory(guard),
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(10),
            // Only compute checksums when an operation needs them; S3-compatible servers often
            // do not understand the newer trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (endpoint.Length > 0)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                run.FailFirstPending("The endpoint URL must be an absolute http or https URL.", "For example https://s3.eu-central-1.wasabisys.com");
                return;
            }
            // S3-compatible servers usually want path-style URLs and sign in their own region.
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        }
        using var client = new AmazonS3Client(new BasicAWSCredentials(values.Text("access_key_id"), values.Text("secret_access_key")), config);

        await run.CheckAsync("credentials", S3CheckErrors.Describe(bucket, async t =>
        {
            try
            {
                await client.ListBucketsAsync(new ListBucketsRequest(), t);
                return CheckOutcome.Pass("The access key was accepted.");
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "AccessDenied")
            {
                // The signature was checked before permissions: the key is valid, it just may not
                // list every bucket, which a least-privilege key should not.
                return CheckOutcome.Pass("The access key was accepted.");
            }
        }), ct);

        await run.CheckAsync("bucket", S3CheckErrors.Describe(bucket, async t =>
        {
            try
            {
                var location = await client.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = bucket }, t);
                var actual = location.Location?.Value is { Length: > 0 } l ? l : "us-east-1";
                return endpoint.Length == 0 && actual != region
                    ? CheckOutcome.Warn($"The bucket '{bucket}' is in region {actual}, not {region}.", $"Set the region to {actual}.")
                    : CheckOutcome.Pass($"The bucket '{bucket}' exists.");
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "AccessDenied")
            {
                return CheckOutcome.Warn($"Not allowed to read the location of bucket '{bucket}'; the next checks show whether it can be used.", null);
            }
        }), ct);

        await run.CheckAsync("list", S3CheckErrors.Describe(bucket, async t =>
        {
            var list = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, t);
            return CheckOutcome.Pass(list.KeyCount > 0 ? "Objects can be listed." : "Objects can be listed (the bucket is empty).");
        }), ct);

        if (!values.Flag("write_probe"))
        {
            if (!run.HasFailed)
            {
                run.Skip("write", "Not requested: writing is not tested unless \"Test writing\" is on.");
            }
            return;
        }
        await run.CheckAsync("write", S3CheckErrors.Describe(bucket, async t =>
        {
            var key = $"connectlinks-probe/{Guid.NewGuid():N}.txt";
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                ContentBody = "ConnectLinks connection test probe; safe to delete.",
                // s3rver and some other compatible servers store aws-chunked framing verbatim.
                UseChunkEncoding = false,
            }, t);
            await client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, t);
            return CheckOutcome.Pass("A probe object was written and deleted.");
        }), ct);
    }

    /// <summary>Gives the AWS client HTTP connections that only reach addresses the guard allows.</summary>
    private sealed class GuardedHttpClientFactory(NetworkGuard guard) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new SocketsHttpHandler { ConnectCallback = guard.ConnectCallback, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(10) });

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }
}

internal static class S3CheckErrors
{
    /// <summary>Wraps a check body so S3 and network errors read as plain-language failures.</summary>
    public static Func<CancellationToken, Task<CheckOutcome>> Describe(string bucket, Func<CancellationToken, Task<CheckOutcome>> body) => async ct =>
    {
        try
        {
            return await body(ct);
        }
        catch (AmazonS3Exception e)
        {
            throw e.ErrorCode switch
            {
                "InvalidAccessKeyId" => new CheckFailedException("The access key ID is not known to the server.", "Check the access key ID; it may have been deleted or mistyped."),
                "SignatureDoesNotMatch" => new CheckFailedException("The secret access key does not match the access key ID.", "Check the secret access key."),
                "NoSuchBucket" => new CheckFailedException($"The bucket '{bucket}' does not exist.", "Check the bucket name and region."),
                "AccessDenied" => new CheckFailedException($"Access denied: {e.Message}", "Grant this key the needed permissions on the bucket."),
                "PermanentRedirect" or "AuthorizationHeaderMalformed" => new CheckFailedException($"The bucket is in another region ({e.Message}).", "Set the bucket's region."),
                _ => new CheckFailedException($"{e.ErrorCode ?? e.StatusCode.ToString()}: {e.Message}", null),
            };
        }
        catch (Exception e) when (e is AmazonClientException or AmazonServiceException or HttpRequestException)
        {
            if (Find<NetworkTargetRefusedException>(e) is { } refused)
            {
                throw refused;
            }
            if (Find<HostNotFoundException>(e) is { } notFound)
            {
                throw new CheckFailedException(notFound.Message, "Check the endpoint URL.");
            }
            if (Find<System.Net.Sockets.SocketException>(e) is { } socket)
            {
                throw TesterValues.ConnectFailure(socket, "the S3 endpoint");
            }
            throw new CheckFailedException($"The S3 request failed: {e.Message}", null);
        }
    };

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }
        return null;
    }
}

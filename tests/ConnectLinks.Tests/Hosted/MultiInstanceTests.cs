using System.Text.Json.Nodes;
using Npgsql;

namespace ConnectLinks.Tests.Hosted;

/// <summary>Two service processes behind one PostgreSQL, as behind a load balancer.</summary>
public sealed class MultiInstanceTests
{
    [Fact]
    public async Task TwoInstancesOnOnePostgresMakeExactlyOneConnectionFromConcurrentSubmissions()
    {
        var admin = TestDatabase.PostgresAdmin; // fails loudly when the suite has no PostgreSQL
        var database = "cl_multi_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var environment = ServiceProcess.BaseEnvironment();
        environment["ConnectLinks__Database__Provider"] = "postgres";
        environment["ConnectLinks__Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
        var dataDir = Directory.CreateTempSubdirectory("cl-multi-").FullName;

        var key = await ServiceProcess.RunCliAsync(environment, "keys", "create", "--org", "acme", "--data-dir", dataDir);
        await using var a = await ServiceProcess.StartAsync(environment, dataDir);
        await using var b = await ServiceProcess.StartAsync(environment, dataDir);
        var link = await a.Client(key).CreateLinkAsync();

        // Twenty customers' browsers: each loads the page from one instance and submits to the other, so the
        // anti-forgery keys must be shared through the database too.
        var pages = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var cookies = new HttpClientHandler { UseCookies = true, CookieContainer = new() };
            var viaA = new HttpClient(cookies, disposeHandler: false) { BaseAddress = new Uri(a.BaseUrl) };
            var viaB = new HttpClient(cookies, disposeHandler: false) { BaseAddress = new Uri(b.BaseUrl) };
            var (load, submit) = i % 2 == 0 ? (viaA, viaB) : (viaB, viaA);
            var page = await new LinkPage(load, link.Str("url")).OpenAsync();
            page.Response!.StatusCode.ShouldBe(HttpStatusCode.OK, page.Text);
            return page.Through(submit);
        }));
        await Task.WhenAll(pages.Select(p => p.SubmitAsync(LinkPage.PostgresCredentials())));

        var statuses = pages.Select(p => p.Response!.StatusCode).ToList();
        statuses.Count(s => s == HttpStatusCode.OK).ShouldBe(1, string.Join(",", statuses));
        statuses.Count(s => s == HttpStatusCode.Gone).ShouldBe(19, string.Join(",", statuses));
        var connections = await b.Client(key).GetFromJsonAsync<JsonObject>("/v1/connections");
        connections!["data"]!.AsArray().Count.ShouldBe(1);
        var read = await b.Client(key).GetFromJsonAsync<JsonObject>($"/v1/links/{link.Str("id")}");
        read!.Str("status").ShouldBe("completed");
        read.Str("connection_id").ShouldBe(connections["data"]![0]!.Str("id"));
    }
}

using ConnectLinks;
using ConnectLinks.Api;
using ConnectLinks.Connectors;
using ConnectLinks.Data;
using ConnectLinks.Connections;
using ConnectLinks.Events;
using ConnectLinks.Hosted;
using ConnectLinks.Links;
using ConnectLinks.OAuth;
using ConnectLinks.Operations;
using ConnectLinks.Operations.Metrics;
using ConnectLinks.Organizations;
using ConnectLinks.Security;
using ConnectLinks.Security.Secrets;
using ConnectLinks.Cli;
using ConnectLinks.Webhooks;

if (CommandLine.IsCommand(args)) return await CommandLine.RunAsync(args);

var builder = WebApplication.CreateBuilder(ServiceSetup.ServeArguments(args));
builder.AddServiceDefaults();
builder.Services.AddServiceMetrics(builder.Configuration);
builder.Services.AddDatabase(builder.Configuration);
builder.Services.AddApiKeyAuthentication(builder.Configuration);
builder.Services.AddApiRateLimits(builder.Configuration);
builder.Services.AddSecretEncryption(builder.Configuration, builder.Environment, builder.Configuration.DataDirectory());
builder.Services.AddConnectors(builder.Configuration);
builder.Services.AddLinks(builder.Configuration);
builder.Services.AddHostedFlow();
builder.Services.AddWebhooks(builder.Configuration);
builder.Services.AddOAuth(builder.Configuration);

var app = builder.Build();
app.UseServiceDefaults();
app.MapOperations();
app.MapMetrics();
app.MapConnectors();
app.MapLinks();
app.MapSettings();
app.MapEvents();
app.MapConnections();
app.MapHostedPages();
app.MapWebhooks();
app.MapOAuthClients();
app.Run();
return 0;

/// <summary>The web application's entry point (also what the tests start).</summary>
public partial class Program;

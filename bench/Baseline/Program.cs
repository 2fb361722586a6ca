// A bare ASP.NET Core app: what the service would cost with no database, auth, validation or middleware.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();
app.MapGet("/", () => "ok");
// Echoes a small JSON body shaped like the service's create-link request (model binding + serialisation both ways).
app.MapPost("/echo", (EchoRequest request) => TypedResults.Ok(request));
app.Run();

internal sealed record EchoOwner(string? Id);

internal sealed record EchoRequest(string? Connector, EchoOwner? Owner);

using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;

namespace ConnectLinks.Data;

/// <summary>One ASP.NET Core data-protection key (it signs anti-forgery tokens), kept in the database.</summary>
public sealed class DataProtectionKey
{
    public required string Id { get; set; }
    public required string Xml { get; set; }
}

/// <summary>
/// Stores data-protection keys in the service's database so every instance behind a load balancer accepts the
/// anti-forgery tokens of the others. Written by hand: Microsoft.AspNetCore.DataProtection.EntityFrameworkCore
/// does not restore here.
/// </summary>
public sealed class DatabaseXmlRepository(IDbContextFactory<AppDbContext> contexts) : IXmlRepository
{
    // Note: IXmlRepository is synchronous by contract; data protection reads keys rarely and caches them.
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = contexts.CreateDbContext();
        return db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToList().Select(XElement.Parse).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var db = contexts.CreateDbContext();
        db.DataProtectionKeys.Add(new DataProtectionKey { Id = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}

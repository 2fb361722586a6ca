using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ConnectLinks.Data;

/// <summary>
/// The group commit's fast path on SQLite: one prepared INSERT per table, executed again for every row. EF's
/// SaveChanges builds the SQL text and its parameters anew for each row, which was the largest single cost of
/// <c>POST /v1/links</c> on SQLite. Tables, columns and value conversions come from the EF model, so this path and
/// SaveChanges cannot drift apart. Written by hand: no bulk-insert library for EF Core restores here.
/// </summary>
public sealed class SqliteRowInserter
{
    private readonly ConcurrentDictionary<IEntityType, Shape> _shapes = new();

    private sealed record Shape(string Sql, IProperty[] Properties, ValueConverter?[] Converters);

    /// <summary>Inserts <paramref name="rows"/> inside the context's current transaction.</summary>
    public void Insert(AppDbContext db, IEnumerable<object> rows)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        var transaction = (SqliteTransaction)(db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Insert runs inside a transaction."));
        foreach (var group in rows.GroupBy(r => r.GetType()))
        {
            var shape = _shapes.GetOrAdd(db.Model.FindEntityType(group.Key)!, Build);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = shape.Sql;
            var parameters = new SqliteParameter[shape.Properties.Length];
            for (var i = 0; i < parameters.Length; i++) parameters[i] = command.Parameters.Add(new SqliteParameter { ParameterName = "@p" + i });
            foreach (var row in group)
            {
                for (var i = 0; i < parameters.Length; i++)
                {
                    var value = shape.Properties[i].GetGetter().GetClrValueUsingContainingEntity(row);
                    if (value is not null && shape.Converters[i] is { } converter) value = converter.ConvertToProvider(value);
                    parameters[i].Value = value ?? DBNull.Value;
                }
                // Note: Microsoft.Data.Sqlite runs commands synchronously; its async methods would only wrap this call.
                command.ExecuteNonQuery();
            }
        }
    }

    private static Shape Build(IEntityType type)
    {
        var properties = type.GetProperties().ToArray();
        var columns = string.Join(", ", properties.Select(p => $"\"{p.GetColumnName()}\""));
        var values = string.Join(", ", properties.Select((_, i) => "@p" + i));
        return new Shape($"INSERT INTO \"{type.GetTableName()}\" ({columns}) VALUES ({values})", properties,
            [.. properties.Select(p => p.GetTypeMapping().Converter)]);
    }
}

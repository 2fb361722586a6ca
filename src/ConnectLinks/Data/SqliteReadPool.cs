using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ConnectLinks.Data;

/// <summary>
/// A single-row read by equality on a few columns, such as a link by id within its organization. Declare one as a
/// static field; its SQL is built from the EF model on first use.
/// </summary>
public sealed class RowQuery<T>(params string[] whereProperties) where T : class
{
    internal string[] WhereProperties { get; } = whereProperties;
}

/// <summary>
/// The hottest reads on SQLite (<c>GET /v1/links/{id}</c>), through long-lived read-only connections that keep their
/// statements prepared. Through EF each such read opened a pooled connection (which registers EF's SQL functions
/// again), parsed the SELECT anew and tore both down afterwards: about 80 % of the request's CPU in a profile.
/// Columns and value conversions come from the EF model, as in <see cref="SqliteRowInserter"/>, so the two paths
/// cannot drift apart. Written by hand: no library here keeps SQLite statements prepared across requests.
/// </summary>
/// <remarks>
/// Each statement runs in its own read transaction (WAL), so it sees every commit made before it started; the reader
/// is disposed before the connection goes back, which ends that transaction.
/// </remarks>
public sealed class SqliteReadPool(string connectionString, IModel model) : IDisposable
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder(connectionString)
    {
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = false, // this class is the pool
    }.ToString();
    private readonly ConcurrentBag<Reader> _idle = [];
    private readonly int _maxIdle = Math.Max(4, Environment.ProcessorCount * 2);
    private readonly ConcurrentDictionary<object, Shape> _shapes = new();
    private int _idleCount;
    private bool _disposed;

    private sealed record Shape(string Sql, PropertyInfo[] Setters, ValueConverter?[] Converters, Type[] ProviderTypes);

    private sealed class Reader(SqliteConnection connection) : IDisposable
    {
        public SqliteConnection Connection { get; } = connection;
        public Dictionary<object, SqliteCommand> Commands { get; } = [];

        public void Dispose()
        {
            foreach (var command in Commands.Values) command.Dispose();
            Connection.Dispose();
        }
    }

    /// <summary>The one row matching <paramref name="values"/> (in the order of the query's properties), or null.</summary>
    public T? Single<T>(RowQuery<T> query, params ReadOnlySpan<object> values) where T : class
    {
        if (values.Length != query.WhereProperties.Length)
            throw new ArgumentException($"The query takes {query.WhereProperties.Length} values, not {values.Length}.", nameof(values));
        if (!_shapes.TryGetValue(query, out var shape)) shape = _shapes.GetOrAdd(query, Build(query));
        var reader = Rent();
        try
        {
            if (!reader.Commands.TryGetValue(query, out var command))
            {
                command = reader.Connection.CreateCommand();
                command.CommandText = shape.Sql;
                for (var i = 0; i < query.WhereProperties.Length; i++) command.Parameters.Add(new SqliteParameter { ParameterName = "@w" + i });
                command.Prepare();
                reader.Commands[query] = command;
            }
            for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i];
            // Microsoft.Data.Sqlite runs commands synchronously; its async methods would only wrap this call.
            using var row = command.ExecuteReader();
            return row.Read() ? Materialize<T>(row, shape) : null;
        }
        finally
        {
            Return(reader);
        }
    }

    private static T Materialize<T>(SqliteDataReader row, Shape shape) where T : class
    {
        var entity = Activator.CreateInstance<T>();
        for (var i = 0; i < shape.Setters.Length; i++)
        {
            object? value = null;
            if (!row.IsDBNull(i))
            {
                value = row.GetValue(i);
                if (value.GetType() != shape.ProviderTypes[i]) value = Convert.ChangeType(value, shape.ProviderTypes[i]);
                if (shape.Converters[i] is { } converter) value = converter.ConvertFromProvider(value);
            }
            shape.Setters[i].SetValue(entity, value);
        }
        return entity;
    }

    private Shape Build<T>(RowQuery<T> query) where T : class
    {
        var type = model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var properties = type.GetProperties().ToArray();
        var columns = string.Join(", ", properties.Select(p => $"\"{p.GetColumnName()}\""));
        var where = string.Join(" AND ", query.WhereProperties.Select((name, i) =>
            $"\"{(type.FindProperty(name) ?? throw new InvalidOperationException($"{typeof(T).Name} has no property {name}.")).GetColumnName()}\" = @w{i}"));
        var converters = properties.Select(p => p.GetTypeMapping().Converter).ToArray();
        return new Shape(
            $"SELECT {columns} FROM \"{type.GetTableName()}\" WHERE {where} LIMIT 1",
            [.. properties.Select(p => p.PropertyInfo ?? throw new InvalidOperationException($"{p.Name} is a shadow property."))],
            converters,
            [.. properties.Select((p, i) => Nullable.GetUnderlyingType(converters[i]?.ProviderClrType ?? p.ClrType) ?? converters[i]?.ProviderClrType ?? p.ClrType)]);
    }

    private Reader Rent()
    {
        if (_idle.TryTake(out var reader))
        {
            Interlocked.Decrement(ref _idleCount);
            return reader;
        }
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return new Reader(connection);
    }

    private void Return(Reader reader)
    {
        if (!Volatile.Read(ref _disposed) && Interlocked.Increment(ref _idleCount) <= _maxIdle)
        {
            _idle.Add(reader);
            if (Volatile.Read(ref _disposed)) CloseIdle(); // Dispose ran between the check and the Add
            return;
        }
        Interlocked.Decrement(ref _idleCount);
        reader.Dispose();
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        CloseIdle();
    }

    private void CloseIdle()
    {
        while (_idle.TryTake(out var reader)) reader.Dispose();
    }

    /// <summary>
    /// Whether <paramref name="connectionString"/> names a database file this pool can open read-only beside EF's
    /// connections; an in-memory database (or a URI with its own mode) is left to EF alone.
    /// </summary>
    public static bool Supports(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        return builder.Mode is SqliteOpenMode.ReadWriteCreate or SqliteOpenMode.ReadWrite
            && builder.DataSource is { Length: > 0 } source && source != ":memory:"
            && !source.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
    }
}

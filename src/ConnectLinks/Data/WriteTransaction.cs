using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace ConnectLinks.Data;

/// <summary>
/// A transaction that changes rows. SQLite lets one writer in at a time; writers that find the database locked
/// wait in SQLite's busy handler, which sleeps in steps of up to 100 ms, and under concurrent flows that set the
/// tail latency. So on SQLite writers queue on an in-process lock first (one per database file) and reach SQLite
/// one after another; busy_timeout still covers other processes (the CLI). On PostgreSQL this is a plain transaction.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> SqliteGates = new();
    private readonly DbContext _context;
    private readonly IDbContextTransaction _transaction;
    private readonly SemaphoreSlim? _gate;

    private WriteTransaction(DbContext context, IDbContextTransaction transaction, SemaphoreSlim? gate)
    {
        _context = context;
        _transaction = transaction;
        _gate = gate;
    }

    /// <summary>Begins a write transaction on <paramref name="database"/>, queuing behind other writers on SQLite.</summary>
    public static async Task<WriteTransaction> BeginAsync(DatabaseFacade database, CancellationToken ct)
    {
        SemaphoreSlim? gate = null;
        if (database.IsSqlite())
        {
            gate = SqliteGates.GetOrAdd(database.GetConnectionString() ?? "", _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(ct);
        }
        try
        {
            var context = ((IDatabaseFacadeDependenciesAccessor)database).Context;
            return new WriteTransaction(context, await database.BeginTransactionAsync(ct), gate);
        }
        catch
        {
            gate?.Release();
            throw;
        }
    }

    public async Task CommitAsync(CancellationToken ct = default)
    {
        await _transaction.CommitAsync(ct);
        Events.CommittedEvents.Committed(_context, _transaction);
    }

    public async ValueTask DisposeAsync()
    {
        Events.CommittedEvents.Ended(_transaction);
        try { await _transaction.DisposeAsync(); }
        finally { _gate?.Release(); }
    }
}

public static class WriteTransactionExtensions
{
    /// <summary>See <see cref="WriteTransaction"/>.</summary>
    public static Task<WriteTransaction> BeginWriteAsync(this DatabaseFacade database, CancellationToken ct = default) =>
        WriteTransaction.BeginAsync(database, ct);
}

using System.Buffers.Text;
using System.Text;
using ConnectLinks.Data;

namespace ConnectLinks.Api;

/// <summary>Cursor pagination: newest first, by id (ids are time-ordered). The cursor is the last id seen, opaque to clients.</summary>
public static class Pagination
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>Reads <c>limit</c> and <c>cursor</c>, adding a message per bad value to <paramref name="errors"/>.</summary>
    public static (int Limit, string? AfterId) Read(string? limit, string? cursor, string idPrefix, Dictionary<string, string[]> errors)
    {
        var take = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, out take) || take is < 1 or > MaxLimit))
            errors["limit"] = [$"must be a whole number from 1 to {MaxLimit}."];
        string? after = null;
        if (cursor is not null)
        {
            after = Decode(cursor);
            if (!Ids.IsValid(after, idPrefix)) errors["cursor"] = ["is not a cursor this list returned."];
        }
        return (take, after);
    }

    public static string Encode(string id) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(id));

    private static string? Decode(string cursor)
    {
        try { return cursor.Length > 100 ? null : Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor)); }
        catch (FormatException) { return null; }
    }

    /// <summary>The page object: <c>{data, has_more, next_cursor}</c>. Callers fetch one row more than the limit.</summary>
    public static Page<T> Page<T>(List<T> rows, int limit, Func<T, string> idOf)
    {
        var hasMore = rows.Count > limit;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        return new Page<T>(rows, hasMore, hasMore ? Encode(idOf(rows[^1])) : null);
    }
}

/// <summary>One page of a list.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, bool HasMore, string? NextCursor);

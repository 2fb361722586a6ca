using System.Globalization;
using System.Text.Json;

namespace ConnectLinks.Connectors.Testers;

/// <summary>
/// A tiny JSON path evaluator for http test requests: <c>$</c>, <c>.name</c>, <c>['name']</c> and
/// <c>[index]</c>. System.Text.Json has no JSONPath support, and the definitions need only this
/// subset to say "<c>$.results</c> exists" or "<c>$.object</c> equals balance".
/// </summary>
internal static class JsonPathAssertion
{
    /// <summary>Finds the element at <paramref name="path"/>; false when any step is missing.</summary>
    public static bool TryFind(JsonElement root, string path, out JsonElement found)
    {
        found = root;
        var steps = Parse(path);
        foreach (var step in steps)
        {
            if (step is int index)
            {
                if (found.ValueKind != JsonValueKind.Array || index >= found.GetArrayLength())
                {
                    return false;
                }
                found = found[index];
            }
            else if (found.ValueKind != JsonValueKind.Object || !found.TryGetProperty((string)step, out found))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The element as text for comparing with an expected value (strings unquoted).</summary>
    public static string AsText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => element.GetRawText(),
    };

    /// <summary>Parses a path into property names (string) and array indexes (int).</summary>
    public static List<object> Parse(string path)
    {
        if (!path.StartsWith('$'))
        {
            throw new FormatException($"JSON path '{path}' must start with $.");
        }
        var steps = new List<object>();
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] is not ('.' or '['))
                {
                    end++;
                }
                if (end == i + 1)
                {
                    throw new FormatException($"JSON path '{path}' has an empty name at position {i}.");
                }
                steps.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0)
                {
                    throw new FormatException($"JSON path '{path}' has an unclosed [.");
                }
                var inner = path[(i + 1)..close];
                if (inner.Length >= 2 && inner[0] is '\'' or '"' && inner[^1] == inner[0])
                {
                    steps.Add(inner[1..^1]);
                }
                else if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    steps.Add(index);
                }
                else
                {
                    throw new FormatException($"JSON path '{path}' has an unsupported selector [{inner}].");
                }
                i = close + 1;
            }
            else
            {
                throw new FormatException($"JSON path '{path}' is not supported at position {i}.");
            }
        }
        return steps;
    }
}

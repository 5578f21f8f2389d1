using System.Globalization;
using System.Text;
using System.Text.Json;
using LightNfv.Core.Errors;

namespace LightNfv.Server.Api.Query;

/// <summary>A filter operator of ETSI GS NFV-SOL 013 (5.2): eq, neq, in, nin, gt, gte, lt, lte, cont, ncont.</summary>
public enum FilterOperator
{
    Eq,
    Neq,
    In,
    Nin,
    Gt,
    Gte,
    Lt,
    Lte,
    Cont,
    Ncont,
}

/// <summary>One term of a filter: <c>(op,attribute,value[,value...])</c>; the attribute is a path of names (a.b.c or a/b/c).</summary>
public sealed record FilterTerm(FilterOperator Operator, IReadOnlyList<string> Path, IReadOnlyList<string> Values)
{
    public string Attribute => string.Join('.', Path);
}

/// <summary>
/// SOL013 attribute-based filtering on the JSON shape a list answers: <c>filter=(eq,state,running);(in,technology,process,container)</c>.
/// Terms joined by ';' must all hold. An attribute path through an array holds when any element holds (SOL013's rule).
/// Values holding ',', ')' or a quote are quoted with single quotes, a quote inside doubled: <c>(eq,name,'a,b')</c>.
/// </summary>
public sealed class AttributeFilter
{
    private static readonly Dictionary<string, FilterOperator> s_operators = Enum.GetValues<FilterOperator>()
        .ToDictionary(o => o.ToString().ToLowerInvariant(), o => o, StringComparer.Ordinal);

    public AttributeFilter(IReadOnlyList<FilterTerm> terms) => Terms = terms;

    public IReadOnlyList<FilterTerm> Terms { get; }

    /// <summary>Parses a filter; a bad part throws Invalid naming it and the accepted form ("filter: ...").</summary>
    public static AttributeFilter Parse(string text)
    {
        var terms = new List<FilterTerm>();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '(')
            {
                throw Bad(text, i, "expected '(' to start a term like (eq,state,running)");
            }
            var start = i;
            var parts = new List<string>();
            var sb = new StringBuilder();
            i++;
            var closed = false;
            while (i < text.Length && !closed)
            {
                var c = text[i];
                if (c == '\'' && sb.Length == 0)
                {
                    // A quoted value runs to the next lone quote; '' is a quote inside it.
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw Bad(text, start, "a quoted value is not closed with '");
                        }
                        if (text[i] == '\'')
                        {
                            if (i + 1 < text.Length && text[i + 1] == '\'')
                            {
                                sb.Append('\'');
                                i += 2;
                                continue;
                            }
                            i++;
                            break;
                        }
                        sb.Append(text[i++]);
                    }
                    if (i < text.Length && text[i] is not (',' or ')'))
                    {
                        throw Bad(text, i, "expected ',' or ')' after a quoted value");
                    }
                    continue;
                }
                if (c == ',')
                {
                    parts.Add(sb.ToString());
                    sb.Clear();
                }
                else if (c == ')')
                {
                    parts.Add(sb.ToString());
                    closed = true;
                }
                else
                {
                    sb.Append(c);
                }
                i++;
            }
            if (!closed)
            {
                throw Bad(text, start, "the term is not closed with ')'");
            }
            terms.Add(Term(text[start..i], parts));
            if (i < text.Length)
            {
                if (text[i] != ';')
                {
                    throw Bad(text, i, "terms are joined with ';', e.g. (eq,state,running);(eq,tenant,default)");
                }
                i++;
                if (i == text.Length)
                {
                    throw Bad(text, i, "a term must follow ';'");
                }
            }
        }
        if (terms.Count == 0)
        {
            throw new LightNfvException(ErrorKind.Invalid, "filter: empty; use (op,attribute,value), e.g. (eq,state,running)");
        }
        return new AttributeFilter(terms);
    }

    private static FilterTerm Term(string source, List<string> parts)
    {
        if (parts.Count < 3)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"filter: term '{source}' needs an operator, an attribute and a value, e.g. (eq,state,running)");
        }
        if (!s_operators.TryGetValue(parts[0].Trim(), out var op))
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"filter: '{parts[0]}' in '{source}' is not an operator; use one of {string.Join(", ", s_operators.Keys)}");
        }
        var path = parts[1].Split('.', '/');
        if (path.Any(p => p.Length == 0))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"filter: attribute '{parts[1]}' in '{source}' is not a name or a dotted path (e.g. state, host.pid)");
        }
        var values = parts.Skip(2).ToList();
        if (values.Count > 1 && op is FilterOperator.Eq or FilterOperator.Neq or FilterOperator.Gt or FilterOperator.Gte or FilterOperator.Lt or FilterOperator.Lte)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"filter: '{parts[0]}' in '{source}' takes one value; use in or nin for a list");
        }
        return new FilterTerm(op, path, values);
    }

    private static LightNfvException Bad(string text, int at, string what) =>
        new(ErrorKind.Invalid, $"filter: at character {at + 1} of '{text}': {what}");

    /// <summary>Whether an item (its JSON shape) passes every term.</summary>
    public bool Matches(JsonElement item) => Terms.All(t => Holds(t, Leaves(item, t.Path, 0).ToList()));

    private static bool Holds(FilterTerm t, List<JsonElement> leaves) => t.Operator switch
    {
        FilterOperator.Eq or FilterOperator.In => leaves.Any(l => t.Values.Any(v => Compare(l, v) == 0)),
        FilterOperator.Neq or FilterOperator.Nin => !leaves.Any(l => t.Values.Any(v => Compare(l, v) == 0)),
        FilterOperator.Gt => leaves.Any(l => Compare(l, t.Values[0]) > 0),
        FilterOperator.Gte => leaves.Any(l => Compare(l, t.Values[0]) >= 0),
        FilterOperator.Lt => leaves.Any(l => Compare(l, t.Values[0]) is < 0 and not int.MinValue),
        FilterOperator.Lte => leaves.Any(l => Compare(l, t.Values[0]) is <= 0 and not int.MinValue),
        FilterOperator.Cont => leaves.Any(l => t.Values.Any(v => Text(l)?.Contains(v, StringComparison.Ordinal) == true)),
        FilterOperator.Ncont => !leaves.Any(l => t.Values.Any(v => Text(l)?.Contains(v, StringComparison.Ordinal) == true)),
        _ => false,
    };

    /// <summary>The values at a path; arrays on the way (and at the end) are walked into, so each element counts.</summary>
    private static IEnumerable<JsonElement> Leaves(JsonElement e, IReadOnlyList<string> path, int depth)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in e.EnumerateArray())
            {
                foreach (var l in Leaves(x, path, depth))
                {
                    yield return l;
                }
            }
            yield break;
        }
        if (depth == path.Count)
        {
            yield return e;
            yield break;
        }
        if (e.ValueKind == JsonValueKind.Object && TryProperty(e, path[depth], out var child))
        {
            foreach (var l in Leaves(child, path, depth + 1))
            {
                yield return l;
            }
        }
    }

    /// <summary>Attribute names match the JSON's case-insensitively (state, State), as the API's binding does.</summary>
    private static bool TryProperty(JsonElement e, string name, out JsonElement value)
    {
        if (e.TryGetProperty(name, out value))
        {
            return true;
        }
        foreach (var p in e.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }
        return false;
    }

    private static string? Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        _ => null,
    };

    /// <summary>
    /// Numbers compare as numbers, timestamps as instants, booleans and strings as text (ordinal; names and states are
    /// lower case). int.MinValue means "not comparable" (null, an object, a number against a word): no order holds then.
    /// </summary>
    public static int Compare(JsonElement e, string value)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Number:
                return e.TryGetDouble(out var d) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                    ? d.CompareTo(v) : int.MinValue;
            case JsonValueKind.True or JsonValueKind.False:
                return bool.TryParse(value, out var b) ? e.GetBoolean().CompareTo(b) : int.MinValue;
            case JsonValueKind.String:
                var s = e.GetString()!;
                if (s.Length >= 10 && char.IsAsciiDigit(s[0]) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                    && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var to))
                {
                    return at.CompareTo(to);
                }
                return Math.Sign(string.CompareOrdinal(s, value));
            case JsonValueKind.Null:
                return value == "null" ? 0 : int.MinValue;
            default:
                return int.MinValue;
        }
    }
}

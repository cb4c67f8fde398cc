using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrasAssemble.TestSupport;

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4): every line must be a <c># HELP</c>, a
/// <c># TYPE</c> or a sample, every sample must belong to a family whose <c># TYPE</c> came first, and label values are
/// unescaped. A line that is none of those fails the parse, so a scrape that a Prometheus server would reject fails here.
/// </summary>
public sealed partial class PrometheusText
{
    private readonly List<PrometheusSample> _samples = [];
    private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);

    private PrometheusText()
    {
    }

    public IReadOnlyList<PrometheusSample> Samples => _samples;

    /// <summary>Metric family name to its declared type (<c>counter</c>, <c>gauge</c>, <c>histogram</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> Types => _types;

    /// <exception cref="FormatException">A line is not valid exposition text.</exception>
    public static PrometheusText Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("the exposition does not end with a newline");
        }

        var parsed = new PrometheusText();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length - 1; i++)
        {
            try
            {
                parsed.Read(lines[i]);
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {i + 1}: {e.Message}: {lines[i]}", e);
            }
        }

        return parsed;
    }

    /// <summary>The value of the one sample with this name and exactly these labels.</summary>
    /// <exception cref="KeyNotFoundException">There is no such sample.</exception>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        var matches = _samples.Where(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value)).ToList();
        return matches.Count switch
        {
            1 => matches[0].Value,
            0 => throw new KeyNotFoundException($"no sample {name}{{{string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""))}}} among {string.Join(", ", _samples.Select(s => s.Name).Distinct())}"),
            _ => throw new KeyNotFoundException($"{matches.Count} samples {name} with those labels"),
        };
    }

    /// <summary>Whether a sample of this name exists (with any labels).</summary>
    public bool Has(string name) => _samples.Any(s => s.Name == name);

    private void Read(string line)
    {
        if (line.Length == 0)
        {
            return;
        }

        if (line.StartsWith('#'))
        {
            var comment = CommentLine().Match(line);
            if (!comment.Success)
            {
                // Any other comment is allowed by the format, but nothing we serve writes one.
                throw new FormatException("a comment that is neither # HELP nor # TYPE");
            }

            if (comment.Groups["kind"].Value == "TYPE")
            {
                var type = comment.Groups["rest"].Value;
                if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                {
                    throw new FormatException($"unknown type {type}");
                }

                if (!_types.TryAdd(comment.Groups["name"].Value, type))
                {
                    throw new FormatException("a second # TYPE for one family");
                }
            }

            return;
        }

        var sample = SampleLine().Match(line);
        if (!sample.Success)
        {
            throw new FormatException("not a sample");
        }

        var name = sample.Groups["name"].Value;
        if (Family(name) is null)
        {
            throw new FormatException($"sample {name} has no # TYPE before it");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match label in Label().Matches(sample.Groups["labels"].Value))
        {
            if (!labels.TryAdd(label.Groups["name"].Value, Unescape(label.Groups["value"].Value)))
            {
                throw new FormatException($"label {label.Groups["name"].Value} twice");
            }
        }

        _samples.Add(new PrometheusSample(name, labels, ParseValue(sample.Groups["value"].Value)));
    }

    private string? Family(string name)
    {
        if (_types.ContainsKey(name))
        {
            return name;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && _types.TryGetValue(name[..^suffix.Length], out var type) && type is "histogram" or "summary")
            {
                return name[..^suffix.Length];
            }
        }

        return null;
    }

    private static double ParseValue(string value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string Unescape(string value)
    {
        var text = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\')
            {
                text.Append(value[i]);
                continue;
            }

            text.Append(value[++i] switch
            {
                'n' => '\n',
                '\\' => '\\',
                '"' => '"',
                var other => throw new FormatException($"escape \\{other} in a label value"),
            });
        }

        return text.ToString();
    }

    [GeneratedRegex(@"^# (?<kind>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<rest>.*)$")]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\]|\\.)*"",?)*)\})? (?<value>[+-]?Inf|NaN|[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)( -?[0-9]+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>([^""\\]|\\.)*)""")]
    private static partial Regex Label();
}

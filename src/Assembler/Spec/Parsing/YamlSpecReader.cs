using System.Text.RegularExpressions;
using OrasAssemble.Spec.Validation;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OrasAssemble.Spec.Parsing;

/// <summary>
/// Reads spec text (YAML, and therefore JSON) into <see cref="SpecNode"/>s with the field path and position of
/// every value. Works on parser events rather than a YAML object model so that nesting depth, value count and
/// alias expansion are bounded while reading, before any of them can cost much.
/// </summary>
internal static partial class YamlSpecReader
{
    private const string CoreTagPrefix = "tag:yaml.org,2002:";

    public static (SpecNode? Root, IReadOnlyList<SpecError> Errors, IReadOnlyDictionary<string, SpecPosition> Positions) Read(string text)
    {
        var errors = new List<SpecError>();
        var raw = ReadRaw(text, errors);
        var positions = new Dictionary<string, SpecPosition>(StringComparer.Ordinal);
        if (raw is null || errors.Count > 0)
        {
            return (null, errors, positions);
        }

        var expander = new Expander(positions);
        try
        {
            var root = expander.Expand(raw, FieldPath.Root, raw.Position, depth: 1);
            return (root, errors, positions);
        }
        catch (LimitExceededException limit)
        {
            errors.Add(new SpecError(limit.Path, limit.Position, limit.Message));
            return (null, errors, positions);
        }
    }

    private static RawNode? ReadRaw(string text, List<SpecError> errors)
    {
        var parser = new Parser(new Scanner(new StringReader(text), skipComments: true));
        var frames = new Stack<Frame>();
        var anchors = new Dictionary<string, RawNode>(StringComparer.Ordinal);
        RawNode? root = null;
        var documents = 0;
        var nodes = 0;
        var last = SpecPosition.Start;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                last = At(current.Start);
                switch (current)
                {
                    case DocumentStart start:
                        if (++documents > 1)
                        {
                            errors.Add(new SpecError(FieldPath.Root, At(start.Start), "a spec is one YAML document; remove the second one (starting here)"));
                            return null;
                        }

                        // YAML 1.1 reads yes, no, on, off and 0644 otherwise than 1.2 does: a spec means what 1.2 says.
                        if (start.Version is { } directive && (directive.Version.Major, directive.Version.Minor) != (1, 2))
                        {
                            var version = $"{directive.Version.Major}.{directive.Version.Minor}";
                            errors.Add(new SpecError(FieldPath.Root, At(directive.Start),
                                $"%YAML {version}: a spec is YAML 1.2; write %YAML 1.2 or leave the directive out"));
                            return null;
                        }

                        break;
                    case Scalar scalar:
                        if (++nodes > SpecLimits.MaxNodes)
                        {
                            errors.Add(TooManyNodes(Frame.PathOfNext(frames), last));
                            return null;
                        }

                        var value = ReadScalar(scalar, Frame.PathOfNext(frames), errors);
                        Register(anchors, scalar.Anchor, value);
                        Add(frames, value, ref root, errors);
                        break;
                    case MappingStart or SequenceStart:
                        var path = Frame.PathOfNext(frames);
                        if (++nodes > SpecLimits.MaxNodes)
                        {
                            errors.Add(TooManyNodes(path, last));
                            return null;
                        }

                        if (frames.Count >= SpecLimits.MaxDepth)
                        {
                            errors.Add(new SpecError(path, last, $"nesting is deeper than {SpecLimits.MaxDepth} levels"));
                            return null;
                        }

                        var node = (NodeEvent)current;
                        CheckCollectionTag(node, path, errors);
                        frames.Push(new Frame(current is MappingStart, path, last, node.Anchor));
                        break;
                    case MappingEnd or SequenceEnd:
                        var done = frames.Pop();
                        var collection = done.Complete();
                        Register(anchors, done.Anchor, collection);
                        Add(frames, collection, ref root, errors);
                        break;
                    case AnchorAlias alias:
                        var aliasPath = Frame.PathOfNext(frames);
                        if (!anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            errors.Add(new SpecError(aliasPath, last, $"alias *{alias.Value.Value} refers to no anchor &{alias.Value.Value} defined before it"));
                            target = new RawScalar(last, "", ScalarType.Null);
                        }

                        Add(frames, new RawAlias(last, target), ref root, errors);
                        break;
                }
            }
        }
        catch (YamlException invalid)
        {
            errors.Add(new SpecError(FieldPath.Root, WhereWrong(invalid, text, last), Describe(invalid)));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16 throws this instead of a syntax error for some broken flow collections,
            // e.g. "a: [x\nx\n" (content not indented under its key).
            errors.Add(new SpecError(FieldPath.Root, last, "the YAML is malformed near here (check the indentation and the brackets of flow collections)"));
            return null;
        }

        if (root is null)
        {
            errors.Add(new SpecError(FieldPath.Root, SpecPosition.Start, "the spec is empty"));
        }

        return root;
    }

    // YamlDotNet reports some tab errors at the start of the enclosing mapping; point at the tab instead.
    private static SpecPosition WhereWrong(YamlException invalid, string text, SpecPosition last)
    {
        var reported = At(invalid.Start);
        if (!invalid.Message.Contains("tab", StringComparison.OrdinalIgnoreCase))
        {
            return reported;
        }

        var lines = text.Split('\n');
        for (var i = Math.Max(reported.Line, last.Line) - 1; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', 0, indent);
            if (tab >= 0)
            {
                return new SpecPosition(i + 1, tab + 1);
            }
        }

        return reported;
    }

    private static SpecError TooManyNodes(string path, SpecPosition position) =>
        new(path, position, $"the spec has more than {SpecLimits.MaxNodes} values");

    private static RawScalar ReadScalar(Scalar scalar, string path, List<SpecError> errors)
    {
        var position = At(scalar.Start);
        var text = scalar.Value;
        if (scalar.Tag.IsEmpty)
        {
            return new RawScalar(position, text, scalar.Style == ScalarStyle.Plain ? ResolvePlain(text) : ScalarType.String);
        }

        if (scalar.Tag.IsNonSpecific)
        {
            return new RawScalar(position, text, ScalarType.String);
        }

        var tag = scalar.Tag.Value;
        var type = tag switch
        {
            CoreTagPrefix + "str" => ScalarType.String,
            CoreTagPrefix + "bool" => ScalarType.Boolean,
            CoreTagPrefix + "int" => ScalarType.Integer,
            CoreTagPrefix + "float" => ScalarType.Float,
            CoreTagPrefix + "null" => ScalarType.Null,
            _ => (ScalarType?)null,
        };
        if (type is null)
        {
            errors.Add(new SpecError(path, position, $"YAML tag {ShortTag(tag)} is not supported; only the core tags !!str, !!int, !!float, !!bool and !!null are"));
            return new RawScalar(position, text, ScalarType.String);
        }

        if (type != ScalarType.String && ResolvePlain(text) != type)
        {
            errors.Add(new SpecError(path, position, $"\"{SpecPath.Show(text)}\" is not a valid {ShortTag(tag)} value"));
        }

        return new RawScalar(position, text, type.Value);
    }

    private static void CheckCollectionTag(NodeEvent node, string path, List<SpecError> errors)
    {
        if (node.Tag.IsEmpty || node.Tag.IsNonSpecific)
        {
            return;
        }

        var expected = CoreTagPrefix + (node is MappingStart ? "map" : "seq");
        if (node.Tag.Value != expected)
        {
            errors.Add(new SpecError(path, At(node.Start), $"YAML tag {ShortTag(node.Tag.Value)} is not supported here"));
        }
    }

    // The YAML 1.2 core schema: which plain (unquoted) scalars are not strings.
    private static ScalarType ResolvePlain(string text)
    {
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return ScalarType.Null;
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return ScalarType.Boolean;
        }

        if (CoreInteger().IsMatch(text))
        {
            return ScalarType.Integer;
        }

        return CoreFloat().IsMatch(text) ? ScalarType.Float : ScalarType.String;
    }

    private static void Register(Dictionary<string, RawNode> anchors, AnchorName anchor, RawNode node)
    {
        if (!anchor.IsEmpty)
        {
            // A later anchor of the same name replaces the earlier one, as YAML specifies.
            anchors[anchor.Value] = node;
        }
    }

    private static void Add(Stack<Frame> frames, RawNode node, ref RawNode? root, List<SpecError> errors)
    {
        if (frames.Count == 0)
        {
            root = node;
            return;
        }

        frames.Peek().Add(node, errors);
    }

    private static SpecPosition At(Mark mark) => new((int)Math.Min(mark.Line, int.MaxValue), (int)Math.Min(mark.Column, int.MaxValue));

    private static string Describe(YamlException invalid)
    {
        // YamlDotNet prefixes its messages with the position, which the error carries already.
        var message = invalid.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && close > 0)
        {
            message = message[(close + 3)..];
        }

        return "YAML syntax error: " + message.TrimEnd('.');
    }

    private static string ShortTag(string tag) =>
        tag.StartsWith(CoreTagPrefix, StringComparison.Ordinal) ? "!!" + tag[CoreTagPrefix.Length..] : tag;

    [GeneratedRegex(@"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)\z", RegexOptions.CultureInvariant)]
    private static partial Regex CoreInteger();

    [GeneratedRegex(@"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\z", RegexOptions.CultureInvariant)]
    private static partial Regex CoreFloat();

    private abstract class RawNode(SpecPosition position)
    {
        public SpecPosition Position { get; } = position;
    }

    private sealed class RawScalar(SpecPosition position, string text, ScalarType type) : RawNode(position)
    {
        public string Text { get; } = text;

        public ScalarType Type { get; } = type;
    }

    private sealed class RawMapping(SpecPosition position, List<(RawScalar Key, RawNode Value)> entries) : RawNode(position)
    {
        public List<(RawScalar Key, RawNode Value)> Entries { get; } = entries;
    }

    private sealed class RawSequence(SpecPosition position, List<RawNode> items) : RawNode(position)
    {
        public List<RawNode> Items { get; } = items;
    }

    private sealed class RawAlias(SpecPosition position, RawNode target) : RawNode(position)
    {
        public RawNode Target { get; } = target;
    }

    /// <summary>A mapping or list being read.</summary>
    private sealed class Frame(bool isMapping, string path, SpecPosition position, AnchorName anchor)
    {
        private readonly bool isMapping = isMapping;
        private readonly string path = path;
        private readonly List<RawNode> items = [];
        private readonly List<(RawScalar Key, RawNode Value)> entries = [];
        private readonly Dictionary<string, SpecPosition> keys = new(StringComparer.Ordinal);
        private RawScalar? pendingKey;
        private bool expectingValue;

        public AnchorName Anchor { get; } = anchor;

        /// <summary>The field path the next value read will have.</summary>
        public static string PathOfNext(Stack<Frame> frames)
        {
            if (frames.Count == 0)
            {
                return FieldPath.Root;
            }

            var top = frames.Peek();
            if (!top.isMapping)
            {
                return FieldPath.Index(top.path, top.items.Count);
            }

            return top.expectingValue && top.pendingKey is not null ? FieldPath.Property(top.path, top.pendingKey.Text) : top.path;
        }

        public void Add(RawNode node, List<SpecError> errors)
        {
            if (!isMapping)
            {
                items.Add(node);
                return;
            }

            if (expectingValue)
            {
                if (pendingKey is not null)
                {
                    entries.Add((pendingKey, node));
                }

                pendingKey = null;
                expectingValue = false;
                return;
            }

            expectingValue = true;
            switch (node)
            {
                case RawScalar { Type: ScalarType.Null } key when key.Text.Length == 0:
                    errors.Add(new SpecError(path, key.Position, "a key is empty"));
                    break;
                case RawScalar key when keys.TryGetValue(key.Text, out var first):
                    errors.Add(new SpecError(FieldPath.Property(path, key.Text), key.Position, $"duplicate key \"{SpecPath.Show(key.Text)}\" (first at line {first.Line})"));
                    break;
                case RawScalar key:
                    keys.Add(key.Text, key.Position);
                    pendingKey = key;
                    break;
                case RawAlias alias:
                    errors.Add(new SpecError(path, alias.Position, "an alias cannot be used as a key"));
                    break;
                default:
                    errors.Add(new SpecError(path, node.Position, "a key must be text, not a mapping or list"));
                    break;
            }
        }

        public RawNode Complete() => isMapping ? new RawMapping(position, entries) : new RawSequence(position, items);
    }

    /// <summary>Turns raw nodes into spec nodes, expanding aliases within the same bounds as the text itself.</summary>
    private sealed class Expander(Dictionary<string, SpecPosition> positions)
    {
        private int nodes;
        private long characters;

        public SpecNode Expand(RawNode node, string path, SpecPosition position, int depth)
        {
            if (node is RawAlias alias)
            {
                // An alias stands where it is written; what it expands to keeps the positions of the anchored text.
                return Expand(alias.Target, path, alias.Position, depth);
            }

            positions.TryAdd(path, position);
            if (++nodes > SpecLimits.MaxNodes)
            {
                throw new LimitExceededException(path, position, $"aliases expand the spec to more than {SpecLimits.MaxNodes} values");
            }

            if (depth > SpecLimits.MaxDepth)
            {
                throw new LimitExceededException(path, position, $"aliases expand the spec deeper than {SpecLimits.MaxDepth} levels");
            }

            switch (node)
            {
                case RawScalar scalar:
                    Count(scalar.Text.Length, path, position);
                    return new SpecScalar(path, position, scalar.Type, scalar.Text);
                case RawSequence sequence:
                    var items = new List<SpecNode>(sequence.Items.Count);
                    foreach (var item in sequence.Items)
                    {
                        var itemPath = FieldPath.Index(path, items.Count);
                        items.Add(Expand(item, itemPath, item.Position, depth + 1));
                    }

                    return new SpecArray(path, position, items);
                case RawMapping mapping:
                    var properties = new List<SpecProperty>(mapping.Entries.Count);
                    foreach (var (key, value) in mapping.Entries)
                    {
                        Count(key.Text.Length, path, key.Position);
                        var childPath = FieldPath.Property(path, key.Text);
                        var child = Expand(value, childPath, key.Position, depth + 1);
                        properties.Add(new SpecProperty(key.Text, key.Position, child));
                    }

                    return new SpecObject(path, position, properties);
                default:
                    throw new InvalidOperationException($"unexpected node {node.GetType().Name}");
            }
        }

        private void Count(int length, string path, SpecPosition position)
        {
            characters += length;
            if (characters > SpecLimits.MaxBytes)
            {
                throw new LimitExceededException(path, position, $"aliases expand the spec to more than {SpecLimits.MaxBytes} characters");
            }
        }
    }

    private sealed class LimitExceededException(string path, SpecPosition position, string message) : Exception(message)
    {
        public string Path { get; } = path;

        public SpecPosition Position { get; } = position;
    }
}

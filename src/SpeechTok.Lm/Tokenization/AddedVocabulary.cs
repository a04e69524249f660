using System.Buffers;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// HF's added vocabulary: tokens split out before pre-tokenisation, leftmost-longest: first those with
/// <c>normalized=false</c> in the raw text (<see cref="SplitRaw"/>), then, in each remaining segment once it is
/// normalised, those with <c>normalized=true</c>, whose own content is normalised the same way to make the pattern
/// (<see cref="SplitNormalized"/>); honours <c>single_word</c>, <c>lstrip</c> and <c>rstrip</c> the way HF does.
/// </summary>
internal sealed class AddedVocabulary(Func<string, string>? normalize)
{
    private readonly List<AddedToken> _tokens = [];
    private readonly Dictionary<string, int> _byContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, AddedToken> _byId = [];
    private Matchers? _matchers; // rebuilt lazily after a change; one reference so that concurrent encoders see a whole pair

    private sealed record Matchers(Matcher Raw, Matcher Normalized);

    public AddedVocabulary Clone()
    {
        var copy = new AddedVocabulary(normalize);
        copy._tokens.AddRange(_tokens);
        foreach (var (k, v) in _byContent) copy._byContent[k] = v;
        foreach (var (k, v) in _byId) copy._byId[k] = v;
        copy.MaxId = MaxId;
        return copy;
    }

    public IReadOnlyList<AddedToken> Tokens => _tokens;
    public int MaxId { get; private set; } = -1;

    public AddedToken? ById(int id) => _byId.GetValueOrDefault(id);
    public AddedToken? ByContent(string content) => _byContent.TryGetValue(content, out int k) ? _tokens[k] : null;

    /// <summary>Adds a token, or replaces the flags of the token with the same content (keeping its id).</summary>
    public void Set(AddedToken token)
    {
        if (_byContent.TryGetValue(token.Content, out int k))
        {
            _byId.Remove(_tokens[k].Id);
            _tokens[k] = token;
        }
        else
        {
            _byContent[token.Content] = _tokens.Count;
            _tokens.Add(token);
        }
        _byId[token.Id] = token;
        MaxId = Math.Max(MaxId, token.Id);
        _matchers = null;
    }

    /// <summary>Appends the segments of <paramref name="text"/>: (range, id of a <c>normalized=false</c> added token,
    /// or -1 for text in between).</summary>
    public void SplitRaw(string text, List<(Range Range, int Id)> output) => Find(text, 0, text.Length, GetMatchers().Raw, output);

    /// <summary>Appends the segments of the normalised text <c>text[start, end)</c>: (range, id of a
    /// <c>normalized=true</c> added token, or -1).</summary>
    public void SplitNormalized(string text, int start, int end, List<(Range Range, int Id)> output) => Find(text, start, end, GetMatchers().Normalized, output);

    private Matchers GetMatchers() => _matchers ??= new Matchers(
        new Matcher(_tokens.Where(t => !t.Normalized).Select(t => (t.Content, t))),
        new Matcher(_tokens.Where(t => t.Normalized).Select(t => (normalize?.Invoke(t.Content) ?? t.Content, t))));

    private static void Find(string text, int start, int end, Matcher matcher, List<(Range, int)> output)
    {
        int offset = start; // end of what is already emitted
        int i = start;
        while (i < end)
        {
            int next = text.AsSpan(i, end - i).IndexOfAny(matcher.FirstChars); // vectorised skip to a possible start
            if (next < 0) break;
            i += next;
            var (tok, length) = matcher.LongestAt(text, i, end);
            if (tok == null) { i++; continue; }
            int mStart = i, mEnd = i + length;
            i = mEnd;
            if (tok.SingleWord)
            {
                bool startOk = mStart == start || !IsWordChar(text, mStart - 1, before: true);
                bool endOk = mEnd == end || !IsWordChar(text, mEnd, before: false);
                if (!startOk || !endOk) continue;
            }
            if (tok.Lstrip)
            {
                int s = mStart;
                while (s > start && char.IsWhiteSpace(text[s - 1])) s--;
                mStart = Math.Max(s, offset); // spaces already taken by the previous match stay there
            }
            if (tok.Rstrip)
            {
                while (mEnd < end && char.IsWhiteSpace(text[mEnd])) mEnd++;
            }
            if (offset < mStart) output.Add((new Range(offset, mStart), -1));
            output.Add((new Range(mStart, mEnd), tok.Id));
            offset = mEnd;
            i = Math.Max(i, mEnd);
        }
        if (offset < end) output.Add((new Range(offset, end), -1));
    }

    // Rust's char::is_alphanumeric() || '_' on the code point before/after the match.
    private static bool IsWordChar(string s, int i, bool before)
    {
        int cp = s[i];
        if (before && char.IsLowSurrogate(s[i]) && i > 0 && char.IsHighSurrogate(s[i - 1])) cp = char.ConvertToUtf32(s[i - 1], s[i]);
        else if (!before && char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) cp = char.ConvertToUtf32(s[i], s[i + 1]);
        return cp == '_' || CharClasses.Of(cp) is CharClass.Letter or CharClass.Number;
    }

    /// <summary>Patterns grouped by first character, longest first: the first that fits is the leftmost-longest match.</summary>
    private sealed class Matcher
    {
        private readonly Dictionary<char, (string Pattern, AddedToken Token)[]> _byFirst;
        public SearchValues<char> FirstChars { get; }

        public Matcher(IEnumerable<(string Pattern, AddedToken Token)> patterns)
        {
            _byFirst = patterns.Where(p => p.Pattern.Length > 0)
                .GroupBy(p => p.Pattern[0])
                .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.Pattern.Length).ThenBy(p => p.Token.Id).ToArray());
            FirstChars = SearchValues.Create([.. _byFirst.Keys]);
        }

        public (AddedToken? Token, int Length) LongestAt(string text, int i, int end)
        {
            if (!_byFirst.TryGetValue(text[i], out var candidates)) return (null, 0);
            var rest = text.AsSpan(i, end - i);
            foreach (var (pattern, token) in candidates)
                if (rest.StartsWith(pattern, StringComparison.Ordinal)) return (token, pattern.Length);
            return (null, 0);
        }
    }
}

using SpeechTok.Tensors;

namespace SpeechTok.Experiments.Demo;

/// <summary>
/// The plan of the demo dataset, a pure function of the options. Polarity lives only in the words, arousal
/// only in the voice, and every text is spoken once calm and once excited (both in the same split), so
/// the text carries no information about arousal and the label needs both modalities.
/// </summary>
internal static class DemoCorpus
{
    public const int Negative = 0, Positive = 1, Calm = 0, Excited = 1;

    // Noun phrases: (determiner, noun); neutral, shared by both polarities.
    private static readonly (string Det, string Noun)[] Subjects =
    [
        ("the", "movie"), ("the", "dinner"), ("this", "phone"), ("the", "weather"), ("our", "trip"),
        ("the", "concert"), ("my", "job"), ("the", "hotel"), ("the", "game"), ("that", "book"),
        ("the", "party"), ("the", "service"), ("the", "garden"), ("your", "idea"), ("the", "music"),
        ("the", "lesson"), ("this", "coffee"), ("the", "show"), ("the", "city"), ("the", "team"),
        ("the", "room"), ("the", "meeting"), ("the", "car"), ("the", "beach"),
    ];

    private static readonly string[][] Adjectives =
    [
        ["terrible", "awful", "horrible", "dreadful", "boring", "disappointing", "miserable", "useless", "nasty", "annoying", "dull", "painful"],
        ["wonderful", "great", "lovely", "excellent", "amazing", "brilliant", "fantastic", "delightful", "superb", "perfect", "pleasant", "charming"],
    ];

    private static readonly string[][] Verbs =
    [
        ["hate", "dislike", "loathe", "dread", "resent"],
        ["love", "enjoy", "adore", "like", "admire"],
    ];

    private static readonly string[] Intensifiers = ["", "really ", "truly ", "quite ", "so ", "very "];
    private static readonly string[] VerbAdverbs = ["", "really ", "truly ", "just "];
    private static readonly string[] Openers = ["", "", "", "Well, ", "Honestly, ", "You know, "];

    // Voice variants: each arousal level has its own pool (mixed genders), and 15 % of clips borrow
    // from the other pool so that the voice identity alone is not the class.
    private static readonly string[][] Voices = [["en+m1", "en+m3", "en+m6", "en+f1"], ["en+f2", "en+f3", "en+f4", "en+m2"]];

    public static string[] ClassNames(DemoLabeling labeling) => labeling switch
    {
        DemoLabeling.Quadrants => ["calm-negative", "calm-positive", "excited-negative", "excited-positive"],
        DemoLabeling.MultiLabel => ["negative-words", "high-pitch", "fast", "loud"],
        _ => ["congruent", "incongruent"],
    };

    /// <summary><see cref="DemoLabeling.MultiLabel"/>: the share of clips that get each voice factor (below ½, so predicting "never" is what text alone can do).</summary>
    private const double VoiceFactorShare = 1 / 3.0;

    public static int Label(DemoLabeling labeling, int polarity, int arousal) => labeling switch
    {
        DemoLabeling.Quadrants => arousal * 2 + polarity,
        _ => polarity == arousal ? 0 : 1,
    };

    public static IReadOnlyList<DemoUtterance> Plan(DemoOptions options)
    {
        options.Validate();
        var rng = new Rng((ulong)options.Seed);
        int perPolarity = options.Count / 4;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var rows = new List<(string Split, string Text, int Polarity, int Arousal)>();
        for (int polarity = 0; polarity < 2; polarity++)
        {
            var texts = new List<string>();
            for (int attempts = 0; texts.Count < perPolarity; attempts++)
            {
                if (attempts > 200 * perPolarity)
                    throw new SpeechTokException($"demo dataset: cannot make {perPolarity} distinct sentences per polarity; use a smaller count");
                var t = Sentence(rng, polarity);
                if (seen.Add(t)) texts.Add(t);
            }
            // 70/15/15 over texts (each text keeps both of its renderings in one split), stratified by polarity.
            int nVal = Math.Max(1, (int)Math.Round(0.15 * perPolarity)), nTest = nVal;
            for (int i = 0; i < texts.Count; i++)
            {
                var split = i < nVal ? "val" : i < nVal + nTest ? "test" : "train";
                rows.Add((split, texts[i], polarity, Calm));
                rows.Add((split, texts[i], polarity, Excited));
            }
        }

        var plan = new List<DemoUtterance>();
        foreach (var split in new[] { "train", "val", "test" })
        {
            var inSplit = rows.Where(r => r.Split == split).ToArray();
            rng.Shuffle(inSplit.AsSpan());
            for (int i = 0; i < inSplit.Length; i++)
            {
                var (_, text, polarity, arousal) = inSplit[i];
                if (options.Labeling == DemoLabeling.MultiLabel)
                {
                    plan.Add(MultiLabelUtterance(rng, plan.Count, split, i, text, polarity, options.Noise));
                    continue;
                }
                var pool = Voices[rng.NextDouble() < 0.15 ? 1 - arousal : arousal];
                var voice = Pick(rng, pool);
                bool excited = arousal == Excited;
                int pitch = excited ? Between(rng, 62, 90) : Between(rng, 10, 38);
                int speed = excited ? Between(rng, 185, 225) : Between(rng, 135, 165);
                int amplitude = excited ? Between(rng, 75, 110) : Between(rng, 35, 80); // ranges overlap (loudness alone is not the class); ≤ 110 keeps espeak-ng from clipping
                int gap = Between(rng, 0, 2);
                double noise = options.Noise ? -55 + 15 * rng.NextDouble() : double.NegativeInfinity;
                ulong noiseSeed = rng.NextUInt64();
                plan.Add(new DemoUtterance(plan.Count, split, i, text, polarity, arousal, [Label(options.Labeling, polarity, arousal)],
                    voice, pitch, speed, amplitude, gap, noise, noiseSeed));
            }
        }
        return plan;
    }

    /// <summary>
    /// A <see cref="DemoLabeling.MultiLabel"/> clip: pitch, rate and loudness each high for a third of the clips,
    /// independently of each other and of the words (both renderings of a text draw their own), any voice.
    /// </summary>
    private static DemoUtterance MultiLabelUtterance(Rng rng, int id, string split, int index, string text, int polarity, bool noisy)
    {
        bool high = rng.NextDouble() < VoiceFactorShare, fast = rng.NextDouble() < VoiceFactorShare, loud = rng.NextDouble() < VoiceFactorShare;
        var voice = Pick(rng, Voices[rng.NextInt(2)]);
        int pitch = high ? Between(rng, 70, 95) : Between(rng, 10, 40);
        int speed = fast ? Between(rng, 200, 235) : Between(rng, 130, 165);
        int amplitude = loud ? Between(rng, 95, 110) : Between(rng, 35, 65);
        int[] labels = [.. new[] { polarity == Negative, high, fast, loud }.Select((on, c) => on ? c : -1).Where(c => c >= 0)];
        double noise = noisy ? -55 + 15 * rng.NextDouble() : double.NegativeInfinity;
        return new DemoUtterance(id, split, index, text, polarity, -1, labels, voice, pitch, speed, amplitude, Between(rng, 0, 2), noise, rng.NextUInt64());
    }

    /// <summary>A uniform integer in [lo, hi], both ends included.</summary>
    private static int Between(Rng rng, int lo, int hi) => lo + rng.NextInt(hi - lo + 1);

    private static T Pick<T>(Rng rng, T[] items) => items[rng.NextInt(items.Length)];

    private static string Sentence(Rng rng, int polarity)
    {
        var (det, noun) = Pick(rng, Subjects);
        var adj = Pick(rng, Adjectives[polarity]);
        var verb = Pick(rng, Verbs[polarity]);
        var intens = Pick(rng, Intensifiers);
        var opener = Pick(rng, Openers);
        var s = rng.NextInt(6) switch
        {
            0 => $"{opener}{det} {noun} was {intens}{adj}.",
            1 => $"I think {det} {noun} is {intens}{adj}.",
            2 => $"{opener}I {verb} {det} {noun}.",
            3 => $"{opener}we {Pick(rng, VerbAdverbs)}{verb} {det} {noun}.",
            4 => $"{opener}{det} {noun} feels {adj}.",
            _ => $"What {("aeiou".Contains(adj[0]) ? "an" : "a")} {adj} {noun}!",
        };
        return char.ToUpperInvariant(s[0]) + s[1..];
    }
}

namespace SpeechTok.Codec;

/// <summary>
/// The one owner of the audio-feature id layout (METHOD §2.3): the codes of the used RVQ layers, side by side,
/// feature = <c>i · CodebookSize + code</c> where i is the position of the code's layer among <see cref="Layers"/>
/// (so for layers 2–8, feature 77 is code 77 of RVQ layer 2). Layers are 0-based codebook indices in code;
/// 1-based layer numbers ("--layers 2-8", selection.json's <c>layers</c>, reports) only cross
/// <see cref="FromLayerNumbers"/>, <see cref="ParseLayerNumbers"/> and <see cref="LayerNumbers"/>.
/// </summary>
public sealed record AudioFeatureLayout
{
    /// <summary>Codes per RVQ layer of SpeechTokenizer, and the feature stride selection.json files use unless they say otherwise.</summary>
    public const int DefaultCodebookSize = 1024;

    /// <summary>0-based RVQ layer (codebook) indices, ascending and distinct.</summary>
    public IReadOnlyList<int> Layers { get; }
    /// <summary>Codes per layer: the stride between two layers' blocks of feature ids.</summary>
    public int CodebookSize { get; }

    public AudioFeatureLayout(IReadOnlyList<int> layers, int codebookSize = DefaultCodebookSize)
    {
        if (codebookSize <= 0) throw new SpeechTokException($"codebook size must be positive (got {codebookSize})");
        if (layers.Count == 0) throw new SpeechTokException("the list of used RVQ layers is empty");
        for (int i = 0; i < layers.Count; i++)
            if (layers[i] < 0 || (i > 0 && layers[i] <= layers[i - 1]))
                throw new SpeechTokException($"used RVQ layers must be ascending, distinct and non-negative (got [{string.Join(",", layers)}])");
        Layers = layers.ToArray();
        CodebookSize = codebookSize;
    }

    /// <summary>From 1-based RVQ layer numbers (2..8 for "RVQ 2-8").</summary>
    public static AudioFeatureLayout FromLayerNumbers(IReadOnlyList<int> layerNumbers, int codebookSize = DefaultCodebookSize)
    {
        if (layerNumbers.Any(l => l < 1)) throw new SpeechTokException($"RVQ layer numbers are 1-based; got [{string.Join(",", layerNumbers)}]");
        return new AudioFeatureLayout(layerNumbers.Select(l => l - 1).ToArray(), codebookSize);
    }

    /// <summary>
    /// The feature stride for codes of a tokenizer with <paramref name="codebookSize"/> codes a layer: 1024 (SpeechTokenizer's,
    /// and the stride of every selection.json so far) unless the codebook is larger, when it is the codebook size, so that
    /// the features of two layers never overlap.
    /// </summary>
    public static int StrideFor(int codebookSize) => Math.Max(DefaultCodebookSize, codebookSize);

    /// <summary>RVQ layers of SpeechTokenizer (and of the built-in tokenizer by default): what <c>--layers</c> is checked against without a code store.</summary>
    public const int SpeechTokenizerLayers = 8;

    /// <summary>"2-8", "1-8", "1,3,5-8" (the CLI's <c>--layers</c>) → the layout of those layers, 1-based numbers within 1..maxLayers.</summary>
    /// <param name="codes">What has <paramref name="maxLayers"/> layers, as a message names it (e.g. "code store DIR"); see <see cref="ParseLayerNumbers"/>.</param>
    public static AudioFeatureLayout Parse(string spec, int maxLayers = SpeechTokenizerLayers, int codebookSize = DefaultCodebookSize, string? codes = null) =>
        FromLayerNumbers(ParseLayerNumbers(spec, maxLayers, codes), codebookSize);

    /// <summary>Layers 1..<paramref name="numQuantizers"/>: every layer of a tokenizer or code store.</summary>
    public static AudioFeatureLayout AllLayers(int numQuantizers, int codebookSize = DefaultCodebookSize) =>
        FromLayerNumbers(Enumerable.Range(1, numQuantizers).ToArray(), codebookSize);

    /// <summary>
    /// "2-8", "1-8", "1,3,5-8" → ascending distinct 1-based layer numbers within 1..maxLayers. A layer named twice and
    /// a list out of order are refused (the feature ids follow the ascending layer order, so "3,2" would promise an
    /// order that is not used); the message gives the canonical spelling. With <paramref name="codes"/> (what has only
    /// <paramref name="maxLayers"/> layers: a code store, a speech tokenizer), a layer beyond them is refused naming it
    /// and the layers it has.
    /// </summary>
    public static int[] ParseLayerNumbers(string spec, int maxLayers = SpeechTokenizerLayers, string? codes = null)
    {
        var listed = new List<int>();
        foreach (var part in CommaList.Split("--layers", spec, "layers such as 2-8, 1-8 or 1,3,5-8")) // "1,,3" was read as 1,3
        {
            var ends = part.Split('-');
            if (ends.Length is < 1 or > 2 || !int.TryParse(ends[0], out int a) || !int.TryParse(ends[^1], out int b) || a > b || a < 1 || (b > maxLayers && codes == null))
                throw new SpeechTokException($"--layers '{spec}': '{part}' is not a layer or range within 1..{maxLayers}"
                    + (ends.Length == 2 && int.TryParse(ends[0], out int hi) && int.TryParse(ends[1], out int lo) && hi > lo && lo >= 1 && (hi <= maxLayers || codes != null) ? $" (a range goes up: write '{lo}-{hi}')" : ""));
            for (long l = a; l <= b; l++) // past the layers there are, one number is enough to refuse (and "2-2147483647" ends)
            {
                listed.Add((int)Math.Min(l, maxLayers + 1L));
                if (l > maxLayers) break;
            }
        }
        var layers = listed.Distinct().Order().ToArray();
        if (layers[^1] > maxLayers)
        {
            var held = layers.Where(l => l <= maxLayers).ToArray();
            throw new SpeechTokException($"--layers '{spec}': {codes} has {maxLayers} RVQ layer{(maxLayers == 1 ? "" : "s")} " +
                $"(give --layers {Spelling(held.Length > 0 ? held : Enumerable.Range(1, maxLayers).ToArray())})");
        }
        if (listed.GroupBy(l => l).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SpeechTokException($"--layers '{spec}': layer {twice.Key} is listed twice; write '{Spelling(layers)}'");
        if (!listed.SequenceEqual(layers))
            throw new SpeechTokException($"--layers '{spec}': layers must be ascending (feature ids follow the layer order); write '{Spelling(layers)}'");
        return layers;
    }

    /// <summary>Ascending distinct layer numbers as <c>--layers</c> spells them: runs of three or more as ranges ("1,3-5").</summary>
    private static string Spelling(IReadOnlyList<int> layerNumbers)
    {
        var parts = new List<string>();
        for (int i = 0; i < layerNumbers.Count;)
        {
            int j = i;
            while (j + 1 < layerNumbers.Count && layerNumbers[j + 1] == layerNumbers[j] + 1) j++;
            if (j - i >= 2) parts.Add($"{layerNumbers[i]}-{layerNumbers[j]}");
            else for (int k = i; k <= j; k++) parts.Add(layerNumbers[k].ToString());
            i = j + 1;
        }
        return string.Join(",", parts);
    }

    /// <summary>The language-model token of the <paramref name="rank"/>-th selected feature (ascending feature order).</summary>
    public static string TokenName(int rank) => $"<audio_token_{rank}>";

    /// <summary>1-based RVQ layer numbers, for files and reports.</summary>
    public int[] LayerNumbers => Layers.Select(l => l + 1).ToArray();

    /// <summary>Number of feature ids: used layers × codebook size.</summary>
    public int FeatureCount => Layers.Count * CodebookSize;

    /// <summary>The feature of <paramref name="code"/> at the <paramref name="position"/>-th used layer.</summary>
    public int Encode(int position, int code)
    {
        if ((uint)position >= (uint)Layers.Count) throw new SpeechTokException($"layer position {position} is outside 0..{Layers.Count - 1}");
        if ((uint)code >= (uint)CodebookSize) throw new SpeechTokException($"code {code} of RVQ layer {Layers[position] + 1} is outside 0..{CodebookSize - 1}");
        return position * CodebookSize + code;
    }

    /// <summary>The 0-based RVQ layer and the code of <paramref name="feature"/>.</summary>
    public (int Layer, int Code) Decode(int feature)
    {
        if ((uint)feature >= (uint)FeatureCount)
            throw new SpeechTokException($"audio feature {feature} is outside 0..{FeatureCount - 1} ({Layers.Count} layers × {CodebookSize} codes)");
        return (Layers[feature / CodebookSize], feature % CodebookSize);
    }

    /// <summary>Checks a selection of features: strictly ascending ids inside this layout (their rank names the token).</summary>
    public void CheckSelection(IReadOnlyList<int> features)
    {
        for (int k = 0; k < features.Count; k++)
        {
            int f = features[k];
            if (f < 0 || f >= FeatureCount)
                throw new SpeechTokException($"selected feature [{k}] = {f} is outside 0..{FeatureCount - 1} ({Layers.Count} layers × {CodebookSize} codes)");
            if (k > 0 && f <= features[k - 1])
                throw new SpeechTokException($"selected features must be strictly ascending: [{k - 1}] = {features[k - 1]}, [{k}] = {f}");
        }
    }

    public bool Equals(AudioFeatureLayout? other) =>
        other is not null && CodebookSize == other.CodebookSize && Layers.SequenceEqual(other.Layers);

    public override int GetHashCode() => HashCode.Combine(CodebookSize, Layers.Count, Layers.Count > 0 ? Layers[0] : -1);

    public override string ToString() => $"layers [{string.Join(",", LayerNumbers)}] × {CodebookSize} codes";
}

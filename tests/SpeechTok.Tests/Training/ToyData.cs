using System.Text;
using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Selection;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// A tiny binary task on disk: the label is the last word of the text ("alpha" = 0, "beta" = 1) and also
/// which code dominates RVQ layer 0 (3 vs 5); a 2-layer × 8-code store; a selection of 4 features. With
/// <c>codebookSize</c> larger than 8, the store has that many codes a layer and every code is shifted to its last 8.
/// </summary>
internal sealed class ToyData : IDisposable
{
    public string Dir { get; }
    public string Manifest => Path.Combine(Dir, "manifest.csv");
    public string Codes => Path.Combine(Dir, "codes");
    public string Selection => Path.Combine(Dir, "selection.json");
    public string ModelDir => Path.Combine(Dir, "lm");

    private static readonly string[] Fillers = ["the cat sat", "a dog ran", "we saw it", "they said so", "it was late", "she knew him"];

    public ToyData(int perSplit = 24, string[]? emptySplits = null, int labelOffset = 0, bool multiLabel = false, int codebookSize = 8)
    {
        int shift = codebookSize - 8;
        Dir = Path.Combine(Path.GetTempPath(), "speechtok-training-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Dir);
        var csv = new StringBuilder($"split,text,audio_path_list,{(multiLabel ? "labels" : "label")}\n");
        using var store = CodeStore.OpenOrCreate(Codes, "toy", 2, codebookSize);
        foreach (var split in new[] { "train", "val", "test" })
        {
            if (emptySplits?.Contains(split) == true) continue;
            for (int i = 0; i < perSplit; i++)
            {
                int y = i % 2;
                csv.Append($"{split},{Fillers[(i / 2) % Fillers.Length]} {(y == 0 ? "alpha" : "beta")},x{i}.wav,{(multiLabel ? (y == 0 ? "0" : "0;1") : (y + labelOffset).ToString())}\n");
                int frames = 3 + i % 4;
                var codes = new[] { Enumerable.Range(0, frames).Select(t => shift + (t % 3 == 2 ? 1 : y == 0 ? 3 : 5)).ToArray(), Enumerable.Range(0, frames).Select(t => shift + (t + i) % 8).ToArray() };
                store.Append($"{split}/{i}", new SampleSource(0, 0, SampleSource.NamesOf([Path.Combine(Dir, $"x{i}.wav")])), codes); // the clips are never written
            }
        }
        File.WriteAllText(Manifest, csv.ToString());
        // features: RVQ layer 1 codes 1, 3, 5 and layer 2 code 2 (feature = i·8 + code over the used layers)
        new SelectionFile { SelectedFeatures = [shift + 1, shift + 3, shift + 5, codebookSize + shift + 2], Layers = [1, 2], CodebookSize = codebookSize }.Save(Selection);
    }

    /// <summary>The manifest, parsed (with <paramref name="numClasses"/> when given), as the CLI hands it to a step.</summary>
    public Manifest Parsed(int? numClasses = null) => SpeechTok.Audio.Manifest.Load(Manifest, numClasses: numClasses);

    /// <summary>A tiny LM pre-trained on the train texts (<see cref="TinyLm"/>), as the built-in LM stands in a real run.</summary>
    public string Model() => TinyLm.Train(Parsed().Split("train").Select(s => s.Text).ToList(), ModelDir);

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

using System.Text;
using SpeechTok.Audio;

namespace SpeechTok.Tests.Audio;

/// <summary>
/// ~20 short espeak-ng sentences (22.05 kHz WAVs, so loading exercises the resampler) with a manifest
/// (14 train, 3 val, 3 test), generated once per test process in a temp folder.
/// </summary>
internal static class EspeakCorpus
{
    private static readonly Lazy<string> Dir = new(Build);

    public static string Folder => Dir.Value;
    public static string ManifestPath => Path.Combine(Folder, "manifest.csv");

    public static readonly string[] Sentences =
    [
        "the cat sat on the mat", "a quick brown fox jumps over the dog", "hello world how are you today",
        "speech tokens help classification", "I love this wonderful sunny day", "this is terrible news for everyone",
        "we will go to the park tomorrow", "one two three four five six", "please close the window now",
        "the train leaves at seven", "music fills the quiet room", "she sells sea shells by the shore",
        "never give up on your dreams", "the weather is cold and grey", "bring me a cup of tea",
        "rivers flow into the ocean", "my phone battery is empty", "they argued about the budget",
        "green leaves fall in autumn", "thank you very much indeed",
    ];

    private static string Build()
    {
        var dir = Tool.TempDir("espeak");
        var csv = new StringBuilder("split,text,audio_path_list,label\n");
        string[] voices = ["en", "en-us", "en+f3", "en+m3"];
        for (int i = 0; i < Sentences.Length; i++)
        {
            var wav = Path.Combine(dir, $"s{i:D2}.wav");
            Tool.Run("espeak-ng", "-v", voices[i % voices.Length], "-p", (30 + 5 * (i % 7)).ToString(), "-s", "170", "-w", wav, Sentences[i]);
            string split = i < 14 ? "train" : i < 17 ? "val" : "test";
            csv.Append($"{split},{Sentences[i]},s{i:D2}.wav,{i % 2}\n");
        }
        File.WriteAllText(Path.Combine(dir, "manifest.csv"), csv.ToString());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    }

    public static Manifest Manifest() => SpeechTok.Audio.Manifest.Load(ManifestPath);
}

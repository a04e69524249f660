using System.CommandLine;
using SpeechTok.Experiments.Mosei;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok mosei`: CMU-MOSEI's per-segment table and full-video audio → the SENT or EMO manifest with cut clips.</summary>
internal static class MoseiCommand
{
    public static Command Build()
    {
        var task = new Option<MoseiTask>("--task") { Description = "Sent (binary polarity, sentiment ≥ 0 = positive) or Emo (six emotions, present when intensity > 0).", Required = true }.OneOf();
        var table = new Option<string>("--table") { Description = "Per-segment CSV whose header names (in any order) video_id, segment_id, start, end, text, then sentiment (Sent) or happy, sad, anger, surprise, disgust, fear (Emo), and optionally split; other columns are ignored.", Required = true };
        var audioDir = new Option<string>("--audio-dir") { Description = "Folder of the full-video audio, VIDEO_ID.wav.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Output folder: sent.csv / emo.csv, their .label_names.txt, clips/ (shared, kept on a rerun).", Required = true };
        var folds = new Option<string?>("--folds") { Description = "JSON {\"train\": [video ids], \"valid\": [...], \"test\": [...]} when the table has no split column." };
        var excludeNeutral = new Option<bool>("--exclude-neutral") { Description = "Sent: drop segments with sentiment exactly 0 instead of counting them positive." };
        var cmd = new Command("mosei", "Convert CMU-MOSEI into the SENT or EMO manifest, cutting each segment's clip from its video's audio.")
            { task, table, audioDir, outDir, folds, excludeNeutral };
        cmd.SetAction(r =>
        {
            var result = MoseiConverter.Convert(new MoseiOptions
            {
                Task = r.GetValue(task), Table = r.GetValue(table)!, AudioDir = r.GetValue(audioDir)!, Out = r.GetValue(outDir)!,
                Folds = r.GetValue(folds), ExcludeNeutral = r.GetValue(excludeNeutral),
            });
            Console.WriteLine($"{result.ManifestPath}: {string.Join(", ", result.Samples.Select(kv => $"{kv.Value} {kv.Key}"))}; {result.ClipsCut} clip{(result.ClipsCut == 1 ? "" : "s")} cut" +
                (result.NotInFolds > 0 ? $", {result.NotInFolds} segments in no fold left out" : "") + (result.Neutral > 0 ? $", {result.Neutral} neutral segments dropped" : ""));
            foreach (var (split, n) in result.Samples.Where(kv => kv.Value == 0))
                Console.Error.WriteLine($"warning: split '{split}' has no segment; finetune and experiment need train, val and test");
            return 0;
        });
        return cmd;
    }
}

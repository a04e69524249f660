using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Selection;

namespace SpeechTok.Cli.Commands;

/// <summary>
/// `speechtok bench selection`: the L1 selection fit on the synthetic AFD-shaped problem of
/// synthetic.json (rebuilt from its generator, checksums verified), optionally with the real AFD text
/// BoW appended; each C is fit from scratch, as saga does. Last line: JSON.
/// </summary>
internal static class SelectBenchCommand
{
    /// <summary>tests/fixtures/l1-selection/synthetic.json as the build copies it beside the program.</summary>
    internal static string DefaultSynthetic => Path.Combine(AppContext.BaseDirectory, "l1-selection", "synthetic.json");

    public static Command Build()
    {
        // The default is the copy beside the program (SpeechTok.Cli.csproj), not a path relative to the current folder.
        var synthetic = new Option<string>("--synthetic") { Description = "synthetic.json of the l1-selection fixture (tests/fixtures/l1-selection/ in the repository).", DefaultValueFactory = _ => DefaultSynthetic };
        var split = new Option<string?>("--split") { Description = "inner_train_idx/inner_test_idx JSON (e.g. from bench/saga_synthetic.py); default: our stratified split, seed 42." };
        var text = new Option<string?>("--text-manifest") { Description = "Append the train-split text BoW of this manifest (13,400 rows: the AFD CSV)." };
        var cs = new Option<string>("--c") { Description = "Comma-separated C values (sklearn's inverse L1 strength).", DefaultValueFactory = _ => "0.0025,0.03" };
        var json = new Option<bool>("--json") { Description = "Print only the JSON line: {\"bench\", \"rows\", \"cols\", \"text_columns\", \"nnz\", \"checksums_ok\", \"split\", \"threads\", " +
            "\"generate_s\", \"tfidf_scaler_s\", \"runs\"}, each run {\"C\", \"fit_wall_s\", \"fit_cpu_s\", \"objective\", \"kkt_residual\", \"converged\", " +
            "\"nonzero_coefficients\", \"selected\", \"selected_audio\", \"selected_text\", \"planted_selected\", \"inner_f1_class_1\"}." };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var cmd = new Command("selection", "Time the L1 selection fit on the synthetic AFD-shaped problem.") { synthetic, split, text, cs, json, threads };
        cmd.SetAction(pr =>
        {
            SpeechTok.Tensors.Threading.Threads = pr.GetValue(threads);
            bool quiet = pr.GetValue(json);
            void Log(string s) { if (!quiet) Console.Error.WriteLine(s); }
            var path = Path.GetFullPath(pr.GetValue(synthetic)!);
            if (!File.Exists(path))
                throw new SpeechTokException($"--synthetic: '{path}' {(Directory.Exists(path) ? "is a folder, not a file" : "does not exist")} (the l1-selection fixture's synthetic.json; the build copies it beside the program)");
            var sw = Stopwatch.StartNew();
            SyntheticAudioBow syn;
            try
            {
                var gen = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("generator");
                syn = SyntheticAudioBow.Generate(gen.GetProperty("params"));
                syn.VerifyChecksums(gen.GetProperty("checksums"));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new SpeechTokException($"--synthetic {path}: not the l1-selection fixture's synthetic.json ({e.Message}); it needs generator.params and generator.checksums", e);
            }
            catch (SpeechTokException e) { throw new SpeechTokException($"--synthetic {path}: {e.Message}", e); }
            double genS = sw.Elapsed.TotalSeconds;
            Log($"generated {syn.Counts.Rows}×{syn.Counts.Cols}, nnz {syn.Counts.Nnz}, checksums OK ({genS:F1} s)");

            var counts = syn.Counts;
            int textCols = 0;
            if (pr.GetValue(text) is string tm)
            {
                var train = Manifest.Load(tm).Split("train");
                if (train.Count != counts.Rows) throw new SpeechTokException($"{tm}: {train.Count} train rows, the synthetic matrix has {counts.Rows}");
                var vec = CountVectorizer.Fit(train.Select(s => s.Text), $"{tm} (train split)");
                textCols = vec.Count;
                counts = counts.HStack(vec.Transform(train.Select(s => s.Text).ToList()));
            }
            var (tr, te) = pr.GetValue(split) is string sf ? SelectionRunner.ReadSplit(sf, counts.Rows) : TokenSelection.StratifiedSplit(syn.Labels, 2, 0.2, 42);
            sw.Restart();
            var problem = SelectionProblem.Prepare(counts, syn.Counts.Cols, syn.Labels, 2, tr, te);
            double prepS = sw.Elapsed.TotalSeconds;
            var runs = new JsonArray();
            foreach (var c in CliLists.Cs(cs.Name, pr.GetValue(cs)))
            {
                var proc = Process.GetCurrentProcess();
                var cpu0 = proc.TotalProcessorTime;
                sw.Restart();
                var o = TokenSelection.Run(problem, [c])[0];
                double wall = sw.Elapsed.TotalSeconds;
                proc.Refresh();
                double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
                int planted = o.SelectedAudio.Intersect(syn.PlantedFeatures).Count();
                Log($"C={c}: fit {wall:F2} s wall / {cpu:F2} s CPU, objective {o.Fit.Objective:R}, KKT {o.Fit.Kkt:E2}, selected {o.SelectedColumns.Length} ({o.SelectedAudio.Length} audio), planted {planted}/{syn.PlantedFeatures.Length}");
                runs.Add(new JsonObject
                {
                    ["C"] = c, ["fit_wall_s"] = Math.Round(wall, 3), ["fit_cpu_s"] = Math.Round(cpu, 3),
                    ["objective"] = o.Fit.Objective, ["kkt_residual"] = o.Fit.Kkt, ["converged"] = o.Fit.Converged,
                    ["nonzero_coefficients"] = o.Fit.NonZeroCount, ["selected"] = o.SelectedColumns.Length,
                    ["selected_audio"] = o.SelectedAudio.Length, ["selected_text"] = o.SelectedText,
                    ["planted_selected"] = planted, ["inner_f1_class_1"] = o.InnerF1Class1,
                });
            }
            var result = new JsonObject
            {
                ["bench"] = "selection", ["rows"] = counts.Rows, ["cols"] = counts.Cols, ["text_columns"] = textCols,
                ["nnz"] = counts.Nnz, ["checksums_ok"] = true, ["split"] = pr.GetValue(split) ?? "stratified seed 42",
                ["threads"] = SpeechTok.Tensors.Threading.Threads, ["generate_s"] = Math.Round(genS, 2),
                ["tfidf_scaler_s"] = Math.Round(prepS, 2), ["runs"] = runs,
            };
            Console.WriteLine(result.ToJsonString());
            return 0;
        });
        return cmd;
    }
}

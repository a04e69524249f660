using System.CommandLine;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Store;
using SpeechTok.Selection;
using SpeechTok.IO;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok select`: L1 token selection (METHOD §2.3–2.5) → selection.json.</summary>
internal static class SelectCommand
{
    public static Command Build()
    {
        var manifest = new Option<string>("--manifest") { Description = "Manifest CSV (split,text,audio_path_list,label).", Required = true };
        var codes = new Option<string?>("--codes") { Description = "Code store folder written by `speechtok tokenize` (optional with --random: then it draws among the codes that occur in train, else among all layers × codebook size)." };
        var layers = new Option<string?>("--layers") { Description = "RVQ layers to use, 1-based and ascending, within the code store's: 2-8 (acoustic only), 1-8 (all) or a list such as 1,3,5-8 (default: every layer of the code store, 1-8 for SpeechTokenizer)." };
        var bow = new Option<bool>("--bow") { Description = "Append the text bag of words (the multimodal BoW of the paper); the default.", DefaultValueFactory = _ => true };
        var noBow = new Option<bool>("--no-bow") { Description = "Audio tokens only (turns the default --bow off)." };
        var c = new Option<double>("--c") { Description = "Inverse L1 strength C (sklearn's), in (0, 1e12]; with --sweep-c and no --c, the sweep chooses it.", DefaultValueFactory = _ => SelectOptions.DefaultC }
            .Positive(LogisticRegression.MaxC);
        var sweep = new Option<string?>("--sweep-c") { Description = "Comma-separated C values, each fitted and scored on the inner split (and by --cv; printed, and saved in selection.json). " +
            $"Without --c the sweep chooses C as `experiment` does: the best inner F1 (of class 1 for a binary task, else macro; with --cv, its mean over the folds) among the C values keeping {new SelectedTokenRange().Text} audio tokens, else the C closest to that range." };
        var cv = new Option<int>("--cv") { Description = "With --sweep-c: K folds of a stratified k-fold of the train split (seeded by --seed) whose mean F1 scores each C, as sklearn's LogisticRegressionCV(cv=K); the selection is still fitted on the 80 % inner split. 1: the inner split alone scores C.", DefaultValueFactory = _ => 1 };
        var minTokens = new Option<int?>(SelectedTokenRange.MinTokensOption) { Description = "With --sweep-c (and no --c): the chosen C must keep at least N selected audio tokens; no C of the sweep in range is an error listing each C's count (default: the target range above, else the closest C)." };
        var maxShare = new Option<double?>(SelectedTokenRange.MaxTokenShareOption) { Description = "With --sweep-c (and no --c): the chosen C must keep at most F (in (0, 1]) × the audio token types occurring in train, e.g. 0.025 = 2.5 %; with --min-tokens or alone (then at least 1 token)." };
        var split = new Option<string?>("--split") { Description = "JSON with inner_train_idx / inner_test_idx (train-split rows); default: stratified 80/20 with --seed." };
        var random = new Option<int?>("--random") { Description = "Ablation: K random audio features instead of the model (among the codes occurring in train when --codes is given)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the inner split and of --random.", DefaultValueFactory = _ => SelectOptions.DefaultSeed };
        var tol = new Option<double>("--tol") { Description = "KKT residual at which the solver stops.", DefaultValueFactory = _ => SelectOptions.DefaultTolerance };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (default: the manifest's folder)." };
        var output = new Option<string>("--out") { Description = "Output selection.json.", DefaultValueFactory = _ => SelectionFile.FileName };
        var numClasses = NumLabelsOption();
        var threads = CliLists.Threads("Threads, one per core by default.");
        var cmd = new Command("select", "Select audio tokens with TF-IDF + scaler + L1 logistic regression (writes selection.json).")
            { manifest, codes, layers, bow, noBow, c, sweep, cv, minTokens, maxShare, split, random, seed, tol, audioRoot, numClasses, output, threads };
        cmd.SetAction(pr =>
        {
            Tensors.Threading.Threads = pr.GetValue(threads);
            string outPath = OutputPaths.RequireFile(pr.GetValue(output)!, SelectionFile.FileName);
            Manifest.RequireApart(outPath, pr.GetValue(manifest)!);
            if (pr.GetValue(codes) is { } storeDir)
                foreach (var file in new[] { CodeStore.MetaFile, CodeStore.DataFile })
                    OutputPaths.RequireApart(outPath, Path.Combine(storeDir, file), $"the code store's {file}");
            if (pr.GetValue(split) is { } splitFile) OutputPaths.RequireApart(outPath, splitFile, "the --split file");
            if (pr.GetValue(random) != null)
                foreach (var modelOnly in new Option[] { bow, noBow, c, sweep, cv, split, tol })
                    if (pr.GetResult(modelOnly) is { Implicit: false })
                        throw new SpeechTokException($"{modelOnly.Name} shapes the L1 model's selection; --random K draws without it: drop {modelOnly.Name}");
            if (pr.GetValue(split) != null && pr.GetResult(seed) is { Implicit: false })
                throw new SpeechTokException("--seed draws the inner split; --split gives it: drop --seed");
            var sweepCs = CliLists.Cs(sweep.Name, pr.GetValue(sweep));
            bool cvGiven = pr.GetResult(cv) is { Implicit: false };
            if (cvGiven && sweepCs.Length == 0) throw new SpeechTokException("--cv scores the C values of --sweep-c; without a sweep there is nothing to score: drop --cv or add --sweep-c");
            bool cGiven = pr.GetResult(c) is { Implicit: false };
            var range = pr.GetValue(minTokens) != null || pr.GetValue(maxShare) != null ? SelectedTokenRange.Constraint(pr.GetValue(minTokens), pr.GetValue(maxShare))
                : sweepCs.Length > 0 && !cGiven ? new SelectedTokenRange() : null;
            range?.Validate(cGiven, sweepCs.Length, random: pr.GetValue(random) != null);
            var dir = pr.GetValue(codes);
            if (dir == null && pr.GetValue(random) == null) throw new SpeechTokException("select: --codes DIR is required (or --random K)");
            using var store = dir == null ? null : CodeStore.Open(dir);
            // Without a store (--random), the layers of SpeechTokenizer.
            int numQuantizers = store?.NumQuantizers ?? AudioFeatureLayout.SpeechTokenizerLayers;
            int stride = AudioFeatureLayout.StrideFor(store?.CodebookSize ?? AudioFeatureLayout.DefaultCodebookSize);
            var opts = new SelectOptions
            {
                Manifest = Manifest.Load(pr.GetValue(manifest)!, pr.GetValue(audioRoot), pr.GetValue(numClasses), OptionRules.Given(pr, numClasses)),
                Layout = pr.GetValue(layers) is { } spec
                    ? AudioFeatureLayout.Parse(spec, numQuantizers, stride, codes: store == null ? null : $"code store {dir}")
                    : AudioFeatureLayout.AllLayers(numQuantizers, stride),
                Bow = pr.GetResult(bow) is { Implicit: false } && pr.GetValue(noBow)
                    ? throw new SpeechTokException("--bow and --no-bow contradict each other; pass one")
                    : pr.GetValue(bow) && !pr.GetValue(noBow),
                C = pr.GetValue(c),
                SweepC = sweepCs,
                ChooseC = range,
                CvFolds = pr.GetValue(cv),
                SplitFile = pr.GetValue(split),
                RandomK = pr.GetValue(random),
                Seed = pr.GetValue(seed),
                Tolerance = pr.GetValue(tol),
            };
            var doc = SelectionRunner.Run(opts, s => store?.TryGet(s), store?.DamageNote ?? "") with { CodesTokenizer = store?.TokenizerIdentity };
            var path = pr.GetValue(output)!;
            if (store?.UnverifiedWarning is { } unverified) Console.Error.WriteLine(unverified);
            if (doc.ConvergenceWarning is { } unconverged) Console.Error.WriteLine(unconverged);
            doc.Save(path);
            if (doc.Sweep is { Count: > 0 } points)
            {
                // The columns are the scores the choice uses: F1 of class 1 for a binary task, else macro-F1.
                bool cvd = doc.CvFolds != null, binary = doc.Task == "binary";
                string f1 = binary ? "F1 class 1" : "macro-F1";
                Console.WriteLine($"        C  audio  text {$"inner {f1}",16}" + (cvd ? $" {$"{doc.CvFolds}-fold CV {f1}",21}" : ""));
                foreach (var p in points)
                    Console.WriteLine($"{p.C,9:G4} {p.SelectedAudio,6} {p.SelectedText,5} {(p.AllZero ? "(all coefficients zero)" : (binary ? p.InnerF1Class1 : p.InnerMacroF1)?.ToString("F4")),16}" +
                        (cvd ? $" {(binary ? p.CvF1Class1 : p.CvMacroF1),21:F4}" : ""));
                Console.WriteLine(doc.CChoice is { } how ? $"C = {doc.C:G4} chosen from the sweep: {Chosen(doc, how)}; --c fixes C instead"
                    : $"C = {doc.C:G4} from --c; the sweep is only reported (without --c it chooses C)");
            }
            Console.WriteLine($"{doc.SelectedFeatures.Length} audio tokens selected → {Path.GetFullPath(path)}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Which branch of the rule chose C: the best F1 inside the token range, or, with no C inside it, the closest count.</summary>
    private static string Chosen(SelectionFile doc, SelectionFile.CChoiceRule how)
    {
        int kept = doc.Sweep!.First(p => p.C == doc.C).SelectedAudio;
        if (how.MinSelected is not int min || how.MaxSelected is not int max || (kept >= min && kept <= max))
            return how.Rule + (doc.Task == "binary" ? " (F1 of class 1, a binary task)" : "");
        string range = min == max ? $"{min}" : $"{min}–{max}";
        return $"no C keeps {range} selected tokens, so the C whose count ({kept}) is closest to that range (rule: {how.Rule})";
    }

    internal static Option<int?> NumLabelsOption() =>
        // --num-labels primary as finetune's and HF's num_labels; --num-classes (sklearn's wording) kept for scripts.
        new("--num-labels", "--num-classes") { Description = "Number of classes K (labels must lie in 0..K−1; HF num_labels); default: max label + 1." };
}

using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Builtin;
using SpeechTok.Codec.Store;
using SpeechTok.Tests.Audio;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Codec;

public sealed class TokenizeTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("tokenize");

    public void Dispose() => Directory.Delete(_dir, true);

    private string FitSmall()
    {
        var dir = Path.Combine(_dir, "tok");
        BuiltinTokenizer.Fit(EspeakCorpus.Manifest(), new BuiltinFitOptions { Seed = 3, CodebookSize = 32, MaxIterations = 5 }).Save(dir);
        return dir;
    }

    /// <summary>Issue #13: missing, unreadable and empty clips are reported together, with their lines, before anything is encoded.</summary>
    [Fact]
    public void PreflightListsMissingUnreadableAndEmptyClipsTogetherBeforeAnyWork()
    {
        File.WriteAllText(Path.Combine(_dir, "bad.wav"), "not a wav");
        File.Copy(Path.Combine(EspeakCorpus.Folder, "s00.wav"), Path.Combine(_dir, "ok.wav"));
        WavWriter.Write(Path.Combine(_dir, "empty.wav"), ReadOnlySpan<float>.Empty, 16000);
        var csv = Path.Combine(_dir, "m.csv");
        Directory.CreateDirectory(Path.Combine(_dir, "folder.wav"));
        File.WriteAllText(csv, "split,text,audio_path_list,label\ntrain,a,ok.wav,0\ntrain,b,gone1.wav,1\nval,c,ok.wav|gone2.wav,0\n" +
            "test,d,bad.wav,1\ntest,e,ok.wav|empty.wav,0\ntest,f,folder.wav,1\n");
        var m = Manifest.Load(csv);
        var tok = new FailingTokenizer(-1);
        var outDir = Path.Combine(_dir, "out");
        var e = Assert.Throws<SpeechTokException>(() => Tokenization.Run(m, tok, "id", outDir, new TokenizeOptions()));
        Assert.StartsWith($"{csv}: 5 clip problem(s) (2 missing, 2 unreadable, 1 empty)", e.Message);
        Assert.Contains($"{csv}:7 (test/2): {Path.Combine(_dir, "folder.wav")}: a folder, not an audio file", e.Message);
        Assert.Contains($"{csv}:3 (train/1): {Path.Combine(_dir, "gone1.wav")}", e.Message);
        Assert.Contains($"{csv}:4 (val/0): {Path.Combine(_dir, "gone2.wav")}", e.Message);
        Assert.Contains($"{csv}:5 (test/0): {Path.Combine(_dir, "bad.wav")}: not a WAV file", e.Message);
        Assert.Contains($"{csv}:6 (test/1): {Path.Combine(_dir, "empty.wav")}: 0 samples", e.Message);
        Assert.DoesNotContain("ok.wav", e.Message);
        Assert.False(File.Exists(Path.Combine(outDir, CodeStore.DataFile)));
    }

    /// <summary>Issue #13: `codes a.wav empty.wav` named "clip 0" and left half a JSON object on stdout.</summary>
    [Fact]
    public void CodesWithAnEmptyFileNamesItAndPrintsNothing()
    {
        var tokDir = Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "speechtokenizer-tiny");
        var good = Path.Combine(tokDir, "tiny.wav");
        var empty = Path.Combine(_dir, "empty.wav");
        WavWriter.Write(empty, ReadOnlySpan<float>.Empty, 16000);
        var (code, stdout, stderr) = Cli("codes", "--tokenizer", tokDir, "--threads", "1", good, empty, Path.Combine(_dir, "nope.wav"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("2 of 3 file(s) failed; nothing was printed", stderr);
        Assert.Contains($"{empty}: the clip is empty (0 samples)", stderr);
        Assert.Contains($"{Path.Combine(_dir, "nope.wav")}: audio file does not exist", stderr);
        Assert.DoesNotContain("clip 0", stderr);
    }

    [Fact]
    public void AKilledRunResumesToTheSameCodes()
    {
        var m = EspeakCorpus.Manifest();
        var tokDir = FitSmall();
        var tok = TokenizerLoader.Load(tokDir);
        var id = TokenizerLoader.Identity(tokDir);
        var full = Path.Combine(_dir, "full");
        var r0 = Tokenization.Run(m, tok, id, full, new TokenizeOptions { Threads = 2 });
        Assert.Equal(new TokenizeResult(20, 0, 20, 0, 0), r0);

        var resumed = Path.Combine(_dir, "resumed");
        using (var cts = new CancellationTokenSource())
        {
            Assert.ThrowsAny<OperationCanceledException>(() =>
                Tokenization.Run(m, tok, id, resumed, new TokenizeOptions { Threads = 1 }, (done, _) => { if (done >= 5) cts.Cancel(); }, cts.Token));
        }
        // and the process died while writing the next record
        var data = Path.Combine(resumed, CodeStore.DataFile);
        using (var f = new FileStream(data, FileMode.Append)) f.Write([(byte)'S', (byte)'T', (byte)'C', (byte)'3', 0xff, 0, 0]);
        int finished;
        using (var s = CodeStore.Open(resumed)) finished = s.Keys.Count;
        Assert.InRange(finished, 5, 19);

        var jsonl = Path.Combine(_dir, "codes.jsonl");
        var r1 = Tokenization.Run(m, tok, id, resumed, new TokenizeOptions { Threads = 2, JsonlPath = jsonl });
        Assert.Equal(finished, r1.Skipped);
        Assert.Equal(20 - finished, r1.Encoded);
        Assert.Equal(7, r1.TornTailBytes);
        using (var a = CodeStore.Open(full))
        using (var b = CodeStore.Open(resumed))
            foreach (var s in m.Samples) Assert.Equal(a.Get(s.Key), b.Get(s.Key));

        var lines = File.ReadAllLines(jsonl);
        Assert.Equal(m.Samples.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            Assert.Equal(m.Samples[i].Split, doc.RootElement.GetProperty("split").GetString());
            Assert.Equal(m.Samples[i].Index, doc.RootElement.GetProperty("index").GetInt32());
            var codes = doc.RootElement.GetProperty("codes");
            Assert.Equal(8, codes.GetArrayLength());
            Assert.All(codes.EnumerateArray(), l => Assert.Equal(codes[0].GetArrayLength(), l.GetArrayLength()));
        }

        // a third run does nothing; another tokenizer's codes are refused in this folder
        Assert.Equal(20, Tokenization.Run(m, tok, id, resumed, new TokenizeOptions()).Skipped);
        Assert.Throws<SpeechTokException>(() => Tokenization.Run(m, tok, "builtin:other", resumed, new TokenizeOptions()));
    }

    /// <summary>
    /// Records say which recordings they came from: a copied dataset keeps its codes (re-stamped by tokenize, no
    /// encoding), while a reordered manifest or a changed clip is refused by readers instead of handing out another
    /// clip's codes under the same split/index.
    /// </summary>
    [Fact]
    public void ReadersCheckThatCodesWereMadeFromTheSamplesClips()
    {
        var tokDir = FitSmall();
        var tok = TokenizerLoader.Load(tokDir);
        var id = TokenizerLoader.Identity(tokDir);
        string Copy(string name)
        {
            var dir = Path.Combine(_dir, name);
            Directory.CreateDirectory(dir);
            foreach (var f in Directory.GetFiles(EspeakCorpus.Folder)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            return dir;
        }
        var a = Copy("a");
        var store = Path.Combine(_dir, "codes");
        var ma = Manifest.Load(Path.Combine(a, "manifest.csv"));
        Tokenization.Run(ma, tok, id, store, new TokenizeOptions { Threads = 2 });

        // the same clips elsewhere, with new modification times: read by content, then re-stamped without encoding
        var b = Copy("b");
        var mb = Manifest.Load(Path.Combine(b, "manifest.csv"));
        string fingerprint;
        using (var s = CodeStore.Open(store)) fingerprint = s.Fingerprint(ma.Samples.Select(x => x.Key));
        using (var s = CodeStore.Open(store))
        {
            Assert.Equal(SourceMatch.Moved, s.Compare(mb.Samples[0], out _));
            foreach (var (x, y) in ma.Samples.Zip(mb.Samples)) Assert.Equal(s.Get(x), s.Get(y));
        }
        Assert.Equal(new TokenizeResult(20, 20, 0, 0, 0) { Restamped = 20 }, Tokenization.Run(mb, tok, id, store, new TokenizeOptions()));
        long live;
        using (var s = CodeStore.Open(store))
        {
            Assert.All(mb.Samples, x => Assert.Equal(SourceMatch.Same, s.Compare(x, out _)));
            live = new FileInfo(Path.Combine(store, CodeStore.DataFile)).Length - s.SupersededBytes;
            Assert.Equal(live, s.SupersededBytes); // every record once superseded by its re-stamped copy: not yet more than the live ones
            Assert.Equal(fingerprint, s.Fingerprint(mb.Samples.Select(x => x.Key))); // same codes: a run made before the move still resumes
        }

        // two train rows swapped in the manifest: train/0 now names s01.wav, whose codes the store holds as train/1
        var lines = File.ReadAllLines(Path.Combine(b, "manifest.csv"));
        (lines[1], lines[2]) = (lines[2], lines[1]);
        var swapped = Path.Combine(b, "swapped.csv");
        File.WriteAllLines(swapped, lines);
        var ms = Manifest.Load(swapped);
        using (var s = CodeStore.Open(store))
        {
            var e = Assert.Throws<SpeechTokException>(() => s.Get(ms.Samples[0]));
            Assert.StartsWith($"{swapped}:2 (train/0): the codes in {Path.GetFullPath(store)} were made from other audio than {Path.Combine(b, "s01.wav")}", e.Message);
            Assert.Equal(s.Get(mb.Samples[2]), s.Get(ms.Samples[2])); // rows not moved still read
        }
        // a clip rewritten in place is refused too; tokenize redoes exactly that sample
        File.Copy(Path.Combine(b, "s05.wav"), Path.Combine(b, "s03.wav"), overwrite: true);
        using (var s = CodeStore.Open(store)) Assert.Contains("were made from other audio", Assert.Throws<SpeechTokException>(() => s.Get(mb.Samples[3])).Message);
        var refused = Assert.Throws<SpeechTokException>(() => Tokenization.Run(mb, tok, id, store, new TokenizeOptions { RefuseChangedBecause = "use another --out" }));
        Assert.Equal($"{mb.Path}:5 (train/3): 1 sample(s) have other audio than when {Path.GetFullPath(store)} was made (first: {Path.Combine(b, "s03.wav")}); use another --out", refused.Message);
        Assert.Equal(new TokenizeResult(20, 19, 1, 0, 0), Tokenization.Run(mb, tok, id, store, new TokenizeOptions()));
        using (var s = CodeStore.Open(store)) Assert.Equal(0, s.SupersededBytes); // the waste passed the live size: compacted
        Assert.Empty(Directory.GetFiles(store, "*.tmp"));
        using (var s = CodeStore.Open(store)) Assert.Equal(s.Get(mb.Samples[5]), s.Get(mb.Samples[3]));

        // clips gone (or a wrong --audio-root): the file names are checked, the rest is counted for a warning
        foreach (var wav in Directory.GetFiles(b, "*.wav")) File.Move(wav, wav + ".away");
        using (var s = CodeStore.Open(store))
        {
            Assert.Equal(s.Get(ma.Samples[4]), s.Get(mb.Samples[4]));
            Assert.Equal(1, s.Unverified);
            Assert.StartsWith($"warning: the clips of 1 sample(s) were not found (e.g. {Path.Combine(b, "s04.wav")})", s.UnverifiedWarning);
            Assert.Contains("were made from other audio", Assert.Throws<SpeechTokException>(() => s.Get(ms.Samples[0])).Message);
        }

        // codes made without --mixdown are not mixed with codes made with it
        Assert.Contains("without --mixdown", Assert.Throws<SpeechTokException>(() => Tokenization.Run(ma, tok, id, store, new TokenizeOptions { Mixdown = true })).Message);
    }

    /// <summary>
    /// tokenizer fit saved through AtomicFolder.Replace, which deleted the user's own OUT.old and OUT.new beside it (a kept
    /// copy of the previous tokenizer); it also demanded labels it never reads, where tokenize's own fit takes an
    /// unlabelled manifest.
    /// </summary>
    [Fact]
    public void TokenizerFitLeavesSiblingFoldersAloneAndNeedsNoLabels()
    {
        var lines = File.ReadAllLines(EspeakCorpus.ManifestPath);
        int label = Array.IndexOf(lines[0].Split(','), "label");
        Assert.True(label == lines[0].Split(',').Length - 1, "the corpus manifest's label is its last column");
        string unlabelled = Path.Combine(EspeakCorpus.Folder, $"unlabelled-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(unlabelled, lines.Select(l => l[..l.LastIndexOf(',')]));
        try
        {
            string tokDir = Path.Combine(_dir, "mytok");
            Directory.CreateDirectory(tokDir + ".old");
            File.WriteAllText(Path.Combine(tokDir + ".old", "notes.txt"), "kept");
            Directory.CreateDirectory(tokDir + ".new");
            File.WriteAllText(Path.Combine(tokDir + ".new", "keep.txt"), "kept too");
            var (code, _, err) = Cli("tokenizer", "fit", "--manifest", unlabelled, "--out", tokDir, "--codebook-size", "8");
            Assert.True(code == 0, err);
            Assert.True(BuiltinTokenizer.IsBuiltinFolder(tokDir));
            Assert.Equal("kept", File.ReadAllText(Path.Combine(tokDir + ".old", "notes.txt")));
            Assert.Equal("kept too", File.ReadAllText(Path.Combine(tokDir + ".new", "keep.txt")));
            Assert.Empty(Directory.GetFileSystemEntries(_dir, ".mytok.*"));
        }
        finally { File.Delete(unlabelled); }
    }

    /// <summary>
    /// tokenize --jsonl wrote its lines over the store's own files (codes.bin: everything re-encoded on the next run; store.json:
    /// the store unreadable) or into the tokenizer folder, exit 0. Refused before any work, for the store's files even before
    /// they exist. With --jsonl /dev/stdout, stdout holds only the JSON lines (the summary goes to stderr).
    /// </summary>
    [Fact]
    public void TokenizeJsonlCannotReplaceTheStoreOrTheTokenizer()
    {
        var tokDir = FitSmall();
        string store = Path.Combine(_dir, "st");
        var config = File.ReadAllBytes(Path.Combine(tokDir, "config.json"));
        foreach (var (target, what) in new[] { (Path.Combine(store, "codes.bin"), "the code store's codes.bin"), (Path.Combine(store, "store.json"), "the code store's store.json") })
        {
            var (c, _, e) = Cli("tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", tokDir, "--out", store, "--jsonl", target);
            Assert.Equal((2, $"error: --jsonl {target} is {what} {target}: writing it would replace the input; give another file"), (c, e.Trim()));
        }
        string inTok = Path.Combine(tokDir, "config.json");
        var (code, _, err) = Cli("tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", tokDir, "--out", store, "--jsonl", inTok);
        Assert.Equal((2, $"error: --jsonl {inTok} is inside the tokenizer folder {tokDir}: writing it would change the input; give a file outside it"), (code, err.Trim()));
        Assert.False(Directory.Exists(store));
        Assert.Equal(config, File.ReadAllBytes(Path.Combine(tokDir, "config.json")));

        (code, var stdout, err) = Cli("tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", tokDir, "--out", store, "--jsonl", "/dev/stdout", "--threads", "1");
        Assert.True(code == 0, err);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines) JsonDocument.Parse(line).Dispose();
        Assert.Contains(" tokenized", err);
    }

    /// <summary>A folder another process made at the target while this one wrote is kept, not replaced; the temp folder goes, and so do those of killed runs.</summary>
    [Fact]
    public void AtomicFolderCreateKeepsAFolderMadeMeanwhileAndRemovesKilledRunsTempFolders()
    {
        string dir = Path.Combine(_dir, "made");
        var e = Assert.Throws<SpeechTokException>(() => SpeechTok.IO.AtomicFolder.Create(dir, tmp =>
        {
            File.WriteAllText(Path.Combine(tmp, "mine.txt"), "mine");
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "theirs.txt"), "theirs");
        }));
        Assert.Equal($"{dir} was made by another process while this one wrote its content; it is left as it is: choose a new folder", e.Message);
        Assert.Equal(["theirs.txt"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(_dir, ".made.*"));

        // A killed run's temp folder (its process gone) is removed by the next; a live process's is kept.
        string dead = Path.Combine(_dir, $".again.{int.MaxValue}.{Guid.NewGuid():N}.tmp"), live = Path.Combine(_dir, $".again.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(dead);
        Directory.CreateDirectory(live);
        SpeechTok.IO.AtomicFolder.Create(Path.Combine(_dir, "again"), tmp => File.WriteAllText(Path.Combine(tmp, "a.txt"), "a"));
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live));
        Assert.Equal("a", File.ReadAllText(Path.Combine(_dir, "again", "a.txt")));
    }

    /// <summary>tokenizer fit replaced a fitted tokenizer in place, orphaning the code stores and runs that name it by hash.</summary>
    [Fact]
    public void TokenizerFitRefusesAFolderThatIsNotEmpty()
    {
        var tokDir = FitSmall();
        var before = File.ReadAllBytes(Path.Combine(tokDir, "codebooks.safetensors"));
        var (code, _, err) = Cli("tokenizer", "fit", "--manifest", EspeakCorpus.ManifestPath, "--out", tokDir, "--codebook-size", "8");
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --out {tokDir} is not an empty folder; a fitted tokenizer is never replaced in place", err.Trim());
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(tokDir, "codebooks.safetensors")));

        // tokenize's --seed only shapes a fit: refused where it would be ignored
        (code, _, err) = Cli("tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", tokDir, "--out", Path.Combine(_dir, "c"), "--seed", "5");
        Assert.Equal((2, "error: --seed is for fitting --tokenizer builtin; a tokenizer folder is used as it is"), (code, err.Trim()));
        var built = Path.Combine(_dir, "b");
        Directory.CreateDirectory(built);
        Directory.CreateSymbolicLink(Path.Combine(built, TokenizerLoader.BuiltinSubfolder), tokDir);
        (code, _, err) = Cli("tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", "builtin", "--out", built, "--seed", "5");
        Assert.Equal((2, $"error: {Path.Combine(built, TokenizerLoader.BuiltinSubfolder)} holds a tokenizer fitted with --seed 3; use another --out for --seed 5"), (code, err.Trim()));
    }

    /// <summary>A config whose n_q is below the checkpoint's RVQ layer count loaded and used the first n_q layers silently.</summary>
    [Fact]
    public void ACheckpointWithMoreRvqLayersThanNqIsRefused()
    {
        var src = Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "speechtokenizer-tiny");
        var dir = Path.Combine(_dir, "nq4");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(src, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(Path.Combine(src, "config.json")).Replace("\"n_q\": 8", "\"n_q\": 4"));
        var e = Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load(dir));
        Assert.Equal($"{Path.Combine(dir, "model.safetensors")}: the checkpoint holds RVQ layer 5 ('quantizer.vq.layers.4._codebook.embed') but config.json's n_q is 4; set n_q to the checkpoint's layer count", e.Message);
        Assert.Equal(8, TokenizerLoader.Load(src).NumQuantizers);
    }

    /// <summary>A config that leaves encoder tensors unread (fewer LSTM layers, identity skips, ELU on a Snake checkpoint)
    /// gave other codes with exit 0; the original's strict load_state_dict refuses such a pair.</summary>
    [Theory]
    [InlineData("speechtokenizer-tiny", "\"lstm_layers\": 2", "\"lstm_layers\": 1", "encoder.model.13.lstm.bias_hh_l1")]
    [InlineData("speechtokenizer-tiny", "\"lstm_layers\": 2", "\"lstm_layers\": 2, \"true_skip\": true", "shortcut")]
    [InlineData("speechtokenizer-tiny-snake", "\"activation\": \"Snake\"", "\"activation\": \"ELU\"", "alpha")]
    public void ACheckpointWithEncoderTensorsTheConfigDoesNotUseIsRefused(string fixture, string from, string to, string tensor)
    {
        var src = Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", fixture);
        var dir = Path.Combine(_dir, "strict");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(src, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        string config = File.ReadAllText(Path.Combine(src, "config.json"));
        Assert.Contains(from, config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.Replace(from, to));
        var e = Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load(dir));
        Assert.StartsWith($"{Path.Combine(dir, "model.safetensors")}: ", e.Message);
        Assert.Contains($"encoder tensor(s) that {Path.Combine(dir, "config.json")} does not use, e.g. '", e.Message);
        Assert.Contains(tensor, e.Message);
    }

    private static (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void CodesCommandPrintsOneListOfLayersPerFile()
    {
        var tokDir = FitSmall();
        var f0 = Path.Combine(EspeakCorpus.Folder, "s03.wav");
        var f1 = Path.Combine(EspeakCorpus.Folder, "s07.wav");
        var (code, stdout, stderr) = Cli("codes", "--tokenizer", tokDir, "--threads", "1", f0, f1);
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var tok = TokenizerLoader.Load(tokDir);
        foreach (var f in new[] { f0, f1 })
        {
            var layers = doc.RootElement.GetProperty(f);
            Assert.Equal(8, layers.GetArrayLength());
            var expected = tok.Encode(AudioLoader.Load(f));
            for (int q = 0; q < 8; q++) Assert.Equal(expected[q], layers[q].EnumerateArray().Select(e => e.GetInt32()).ToArray());
        }
        var missing = Cli("codes", "--tokenizer", tokDir, Path.Combine(_dir, "nope.wav"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope.wav", missing.Err);
        // a file given twice would be a duplicate key in the JSON object; a folder is not "missing"
        var twice = Cli("codes", "--tokenizer", tokDir, f0, f1, f0);
        Assert.Equal((2, "", $"error: {f0} is given 2 times: the output is one JSON object keyed by file"), (twice.Code, twice.Out, twice.Err.Trim()));
        var folder = Cli("codes", "--tokenizer", tokDir, _dir);
        Assert.Equal(2, folder.Code);
        Assert.Contains($"{_dir}: is a folder, not an audio file", folder.Err);
    }

    [Fact]
    public void CodesCommandLoadsOfficialSpeechTokenizerFolders()
    {
        foreach (var dir in SpeechTok.Tests.Conformance.FixtureRoot.Folders("speechtokenizer-"))
        {
            using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected_codes.json")));
            var files = expected.RootElement.GetProperty("files").EnumerateObject().Select(f => f.Name).ToArray();
            var (code, stdout, stderr) = Cli(["codes", "--tokenizer", dir, .. files.Select(f => Path.Combine(dir, f))]);
            Assert.True(code == 0, stderr);
            using var got = JsonDocument.Parse(stdout);
            foreach (var f in files)
                Assert.Equal(expected.RootElement.GetProperty("files").GetProperty(f).GetProperty("codes").GetRawText().Replace(" ", "").Replace("\n", ""),
                    got.RootElement.GetProperty(Path.Combine(dir, f)).GetRawText());
            Assert.StartsWith("speechtokenizer:", TokenizerLoader.Identity(dir));
        }
    }

    [Fact]
    public void TokenizeBuiltinFitsUnderOutThenResumes()
    {
        var outDir = Path.Combine(_dir, "run");
        var jsonl = Path.Combine(_dir, "run.jsonl");
        var first = Cli("tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", "builtin", "--out", outDir, "--jsonl", jsonl, "--threads", "2");
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("20 tokenized, 0 already done", first.Out);
        Assert.Contains("tokenize: 20/20 samples", first.Err); // redirected: plain progress lines, no escape codes
        Assert.DoesNotContain("\u001b[", first.Out + first.Err);
        Assert.True(SpeechTok.Codec.Builtin.BuiltinTokenizer.IsBuiltinFolder(Path.Combine(outDir, "tokenizer")));
        Assert.Equal(20, File.ReadAllLines(jsonl).Length);
        using (var s = CodeStore.Open(outDir))
        {
            s.RequireTokenizer(TokenizerLoader.Identity(Path.Combine(outDir, "tokenizer")));
            Assert.Equal(20, s.Keys.Count);
        }
        var again = Cli("tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", "builtin", "--out", outDir);
        Assert.True(again.Code == 0, again.Err);
        Assert.Contains("0 tokenized, 20 already done", again.Out);

        // New audio without labels (what `predict --manifest` reads codes of) was refused: "required column 'label' … is missing".
        var labelled = Manifest.Load(EspeakCorpus.ManifestPath);
        var unlabelled = Path.Combine(_dir, "unlabelled.csv");
        File.WriteAllLines(unlabelled, ["split,text,audio_path_list", .. labelled.Samples.Take(3).Select(x => $"test,\"{x.Text}\",{x.AudioPaths[0]}")]);
        var fresh = Cli("tokenize", "--manifest", unlabelled, "--tokenizer", Path.Combine(outDir, "tokenizer"), "--out", Path.Combine(_dir, "new"));
        Assert.True(fresh.Code == 0, fresh.Err);
        Assert.Contains("3 tokenized, 0 already done", fresh.Out);
    }

    private sealed class FailingTokenizer(int failAtLength) : ISpeechTokenizer
    {
        public int SampleRate => 16000;
        public int HopLength => 320;
        public int NumQuantizers => 8;
        public int CodebookSize => 4;
        public int[][] Encode(ReadOnlySpan<float> wav)
        {
            if (wav.Length == failAtLength) throw new SpeechTokException("clip too odd");
            int frames = (wav.Length + 319) / 320;
            return Enumerable.Range(0, 8).Select(_ => new int[frames]).ToArray();
        }
    }

    [Fact]
    public void AnEncodingErrorNamesTheSampleAndKeepsFinishedOnes()
    {
        var m = EspeakCorpus.Manifest();
        var bad = m.Samples[7];
        var tok = new FailingTokenizer(AudioLoader.LoadSample(bad).Length);
        var outDir = Path.Combine(_dir, "fail");
        var e = Assert.Throws<SpeechTokException>(() => Tokenization.Run(m, tok, "fake", outDir, new TokenizeOptions { Threads = 1 }));
        Assert.Contains($"{bad.Where} ({bad.AudioPaths[0]}): clip too odd", e.Message);
        using var s = CodeStore.Open(outDir);
        Assert.Contains(m.Samples[0].Key, s.Keys);
        Assert.DoesNotContain(bad.Key, s.Keys);
        Assert.Equal(m.Samples.Count - 1, s.Keys.Count); // the samples after it were encoded too
    }

    /// <summary>Clips the pre-flight cannot judge without decoding (non-WAV: a corrupt mp3, a text file named .mp3) stopped
    /// tokenize at the first one to fail, a different one each run: every other sample is now encoded, and one error lists them all.</summary>
    [Fact]
    public void Every_clip_that_cannot_be_decoded_is_listed_in_one_error()
    {
        File.WriteAllText(Path.Combine(_dir, "text.mp3"), "this is not audio");
        File.WriteAllBytes(Path.Combine(_dir, "noise.flac"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251)).ToArray());
        File.Copy(Path.Combine(EspeakCorpus.Folder, "s00.wav"), Path.Combine(_dir, "ok.wav"));
        var csv = Path.Combine(_dir, "m.csv");
        File.WriteAllText(csv, "split,text,audio_path_list,label\ntrain,a,ok.wav,0\ntrain,b,text.mp3,1\nval,c,ok.wav,0\ntest,d,noise.flac,1\n");
        var m = Manifest.Load(csv);
        var outDir = Path.Combine(_dir, "out");
        var e = Assert.Throws<SpeechTokException>(() => Tokenization.Run(m, new FailingTokenizer(-1), "id", outDir, new TokenizeOptions { Threads = 2 }));
        Assert.StartsWith("2 of 4 sample(s) to tokenize could not be read or encoded; the other 2 are in the store", e.Message);
        int b = e.Message.IndexOf($"{csv}:3 (train/1)", StringComparison.Ordinal), d = e.Message.IndexOf($"{csv}:5 (test/0)", StringComparison.Ordinal);
        Assert.True(b > 0 && d > b, e.Message); // both, in manifest order
        Assert.Contains("ffmpeg could not decode", e.Message);
        using var s = CodeStore.Open(outDir);
        Assert.Equal(["train/0", "val/0"], s.Keys.Order());
    }
}

using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec.SpeechTokenizer;
using SpeechTok.Codec.Store;
using SpeechTok.Codec.Torch;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Tokenization;
using SpeechTok.Tensors.IO;
using SpeechTok.Tests.Lm;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// Every failure the fuzz tests found, as the smallest input that showed it (hand-reduced from the fuzzer's
/// shrunk case). Before the fix each one crashed with the exception named in the test, hung, or was accepted.
/// Now each is refused with a <see cref="SpeechTokException"/> that names the file and the defect.
/// </summary>
public sealed class FuzzRegressionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("speechtok-fuzz-regression-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    private static void Refused(string path, Action load, string defect)
    {
        var e = Assert.Throws<SpeechTokException>(load);
        Assert.Contains(path, e.Message);
        Assert.Contains(defect, e.Message);
    }

    // ---------------------------------------------------------------- WAV

    /// <summary>Hung: a header rate of 2^31−3 Hz made the resampler build 16,000 phases of 1.6 M taps each.</summary>
    [Fact]
    public void Wav_with_a_sample_rate_of_2e9_hz()
    {
        var path = Write("rate.wav", WavFuzzTests.Wav(1, 1, int.MaxValue - 2, 16, new byte[20]));
        Refused(path, () => AudioLoader.Load(path), "sample rate 2147483645 Hz; 1000–1000000 Hz is supported");
    }

    /// <summary>
    /// The other half of that fix: a short clip at a coprime rate needs only the phases it uses. Measured by
    /// bytes the calling thread (which builds the kernels) allocates, not by time: all 16,000 phases of 757 taps took 183 MB (48 MB of taps, the rest the growing list), the one it uses ~3 kB.
    /// </summary>
    [Fact]
    public void Resampling_a_short_clip_at_a_coprime_rate_builds_only_the_phases_it_needs()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var y = Resampler.Resample(new float[30], 999_983, 16_000); // prime rate: 16,000 phases, 757 taps each
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Single(y);
        Assert.True(allocated < 1_000_000, $"{allocated} bytes allocated");
    }

    // ---------------------------------------------------------------- manifest

    /// <summary>ArgumentException "Null character in path" from Path.GetFullPath.</summary>
    [Fact]
    public void Manifest_with_a_nul_in_a_clip_path()
    {
        var path = Write("m.csv", "split,text,audio_path_list,label\ntrain,a,a.wav,0\ntrain,b,\0,1");
        Refused(path, () => Manifest.Load(path), ":3: column 'audio_path_list' holds a path with a NUL character");
    }

    /// <summary>Hung: label 1000000000 made 10^9 classes, and RequireAllClassesInTrain listed the 10^9 absent ones.</summary>
    [Fact]
    public void Manifest_with_a_label_of_one_billion()
    {
        var path = Write("m.csv", "split,text,audio_path_list,label\ntrain,a,a.wav,1000000000\ntrain,b,b.wav,0\n");
        Refused(path, () => Manifest.Load(path), ":2: label 1000000000 is too large");
    }

    // ---------------------------------------------------------------- config.json

    [Theory]
    [InlineData("0", "expected a JSON object")]                                                               // InvalidOperationException
    [InlineData("""{"num_key_value_heads": 1E8}""", "field 'num_key_value_heads' must be a 32-bit integer")]   // FormatException
    [InlineData("""{"num_key_value_heads": 0}""", "field 'num_key_value_heads' must be at least 1")]          // DivideByZeroException
    [InlineData("""{"eos_token_id": ["", 8]}""", "field 'eos_token_id' must be a 32-bit integer")]           // InvalidOperationException
    [InlineData("""{"eos_token_id": 6854775807}""", "field 'eos_token_id' must be a 32-bit integer")]         // FormatException
    [InlineData("""{"rope_scaling": []}""", "rope_scaling must be an object or null")]                        // InvalidOperationException
    [InlineData("""{"head_dim": -1}""", "field 'head_dim' must be at least 1")]                               // accepted
    [InlineData("""{"rms_norm_eps": 1E308}""", "field 'rms_norm_eps' must be a positive float32")]            // accepted as +∞
    [InlineData("""{"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 4, "original_max_position_embeddings": 64}}""",
        "high_freq_factor 4 must be greater than low_freq_factor 4")]                                              // accepted, then 0/0
    public void Llama_config_field_of_the_wrong_type_or_range(string fields, string defect)
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"), ["hidden_size"] = 32, ["intermediate_size"] = 64, ["num_hidden_layers"] = 1,
            ["num_attention_heads"] = 4, ["vocab_size"] = 100,
        };
        var patch = JsonNode.Parse(fields);
        string json = patch is JsonObject p ? Merge(o, p).ToJsonString() : fields;
        var dir = Path.Combine(_dir, "llama");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json);
        Refused(path, () => LlamaConfig.Load(dir), defect);
    }

    private static JsonObject Merge(JsonObject a, JsonObject b)
    {
        foreach (var (k, v) in b) a[k] = v?.DeepClone();
        return a;
    }

    /// <summary>Accepted: strides [847483647, 4, 2] multiply past 2^31 and the hop length wrapped to −64.</summary>
    [Fact]
    public void SpeechTokenizer_config_whose_strides_overflow_the_hop()
    {
        var path = Write("config.json", """
            {"n_filters": 8, "strides": [847483647, 4, 2], "dimension": 2, "dilation_base": 2, "residual_kernel_size": 3,
             "n_residual_layers": 1, "lstm_layers": 2, "activation": "ELU", "codebook_size": 4, "n_q": 9}
            """);
        Refused(path, () => SpeechTokenizerConfig.Load(path), "multiply to a hop length beyond 2^31");
    }

    // ---------------------------------------------------------------- tokenizer.json

    private static JsonObject Tiny() => TinyTokenizer.Json();

    [Fact]
    public void Tokenizer_vocab_id_of_int_max()
    {
        var o = Tiny();
        o["model"]!["vocab"]!["zz"] = int.MaxValue; // OverflowException in new string?[maxId + 1]
        var path = Write("tokenizer.json", o.ToJsonString());
        Refused(path, () => HfTokenizer.Load(path), "model.vocab entry 'zz' has id 2147483647, beyond 16777215");
    }

    [Fact]
    public void Tokenizer_with_sparse_vocab_ids_counts_rows_to_the_largest_id()
    {
        var o = Tiny();
        o["model"]!["vocab"]!["zz"] = 5000; // ids up to 5000, only 267 entries: ids were ≥ VocabSize
        var tok = HfTokenizer.Load(Write("tokenizer.json", o.ToJsonString()));
        Assert.Equal(5001, tok.VocabSize);
        Assert.All(tok.Encode("zz"), id => Assert.InRange(id, 0, tok.VocabSize - 1));
    }

    [Theory]
    [InlineData("pre_tokenizer", """{"type": "Sequence", "pretokenizers": true}""", "pre_tokenizer.pretokenizers must be an array")]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": [], "behavior": "Isolated"}""", "pre_tokenizer.pattern must be an object")]
    [InlineData("post_processor", """{"type": "TemplateProcessing", "single": [1], "special_tokens": {}}""", "post_processor.single[0]: expected Sequence or SpecialToken")]
    [InlineData("post_processor", """{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {"<s>": {"ids": [99999]}}}""",
        "special token id 99999 is outside the vocabulary")]
    [InlineData("post_processor", """{"type": "TemplateProcessing", "single": [], "special_tokens": {"<s>": {"ids": ["x"]}}}""",
        "post_processor.special_tokens.<s>.ids must hold non-negative integers")]
    [InlineData("model", "7", "model must be an object")]
    public void Tokenizer_section_of_the_wrong_shape(string section, string json, string defect)
    {
        var o = Tiny();
        o[section] = JsonNode.Parse(json);
        var path = Write("tokenizer.json", o.ToJsonString());
        Refused(path, () => HfTokenizer.Load(path), defect); // InvalidOperationException before, or ids outside the vocabulary
    }

    [Fact]
    public void Tokenizer_with_invalid_utf8_in_a_string()
    {
        var bytes = Encoding.UTF8.GetBytes(Tiny().ToJsonString());
        int at = Encoding.UTF8.GetBytes(Tiny().ToJsonString()).AsSpan().IndexOf("\"Isolated\""u8) + 1;
        bytes[at] = 0xC3; // a lone lead byte: "Cannot transcode invalid UTF-8" from GetString
        var path = Write("tokenizer.json", bytes);
        Refused(path, () => HfTokenizer.Load(path), "not valid UTF-8");
    }

    // ---------------------------------------------------------------- safetensors

    private static byte[] SafeTensorsFile(byte[] header)
    {
        var b = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)header.Length);
        header.CopyTo(b, 8);
        return b;
    }

    [Fact]
    public void Safetensors_header_with_invalid_utf8_in_a_name()
    {
        var header = Encoding.UTF8.GetBytes("""{"a?": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}""");
        header[3] = 0xFF; // InvalidOperationException when the name was read
        var path = Write("x.safetensors", SafeTensorsFile(header));
        Refused(path, () => SafeTensors.Open(path), "header is not valid UTF-8");
    }

    [Fact]
    public void Safetensors_index_with_invalid_utf8()
    {
        var index = Encoding.UTF8.GetBytes("""{"weight_map": {"a?": "x.safetensors"}}""");
        index[18] = 0xFF;
        var path = Write(SafeTensors.IndexFileName, index);
        Refused(path, () => SafeTensors.OpenModel(_dir), "is not valid UTF-8");
    }

    // ---------------------------------------------------------------- .pt pickle

    private string Checkpoint(byte[] pickle)
    {
        var path = Path.Combine(_dir, "model.pt");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open();
        s.Write(pickle);
        return path;
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 2, (byte)'X', 0xFF, 0xFF, 0xFF, 0xFF, (byte)'.' }, "length 4294967295 runs past the end")]  // OverflowException (checked cast)
    [InlineData(new byte[] { 0x80, 2, (byte)'X', 0xFF, 0xFF, 0xFF, 0x7F, (byte)'.' }, "length 2147483647 runs past the end")]  // ArgumentOutOfRange (_pos + n wrapped)
    [InlineData(new byte[] { 0x80, 2, 0x8b, 0xFF, 0xFF, 0xFF, 0xFF, (byte)'.' }, "length 4294967295 runs past the end")]       // LONG4, OverflowException
    public void Pickle_length_operand_beyond_the_data(byte[] pickle, string defect)
    {
        var path = Checkpoint(pickle);
        Refused(path, () => TorchCheckpoint.Load(path), defect);
    }

    // ---------------------------------------------------------------- code store

    /// <summary>A store of 2 layers × 4 codes with one record whose header or codes are rewritten and resealed.</summary>
    private string Store(Action<byte[], int> edit)
    {
        var dir = Path.Combine(_dir, "store");
        using (var s = CodeStore.OpenOrCreate(dir, "t", 2, 4)) s.Append("train/0", new SampleSource(1, 1, 1), [[1, 2], [3, 0]]);
        var data = File.ReadAllBytes(Path.Combine(dir, CodeStore.DataFile));
        int keyLen = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(8));
        edit(data, 10 + keyLen); // offset of the layer count
        SHA256.HashData(data.AsSpan(0, data.Length - 8)).AsSpan(0, 8).CopyTo(data.AsSpan(data.Length - 8));
        File.WriteAllBytes(Path.Combine(dir, CodeStore.DataFile), data);
        return dir;
    }

    /// <summary>Accepted: a record of 1 layer × 4 frames in a 2-layer store (same byte count), handed out as is.</summary>
    [Fact]
    public void Code_store_record_with_another_layer_count()
    {
        var dir = Store((d, at) => { d[at] = 1; d[at + 2] = 4; });
        using var s = CodeStore.Open(dir);
        Assert.Equal(1, s.DamagedRecords);
        var e = Assert.Throws<SpeechTokException>(() => s.Get("train/0"));
        Assert.Contains(dir, e.Message);
        Assert.Contains("no codes for sample train/0", e.Message);
    }

    /// <summary>Accepted: code 255 in a 4-code store.</summary>
    [Fact]
    public void Code_store_record_with_a_code_beyond_the_codebook()
    {
        var dir = Store((d, at) => d[at + 30] = 0xFF);
        using var s = CodeStore.Open(dir);
        Refused(Path.Combine(dir, CodeStore.DataFile), () => s.Get("train/0"), "holds code 255 in layer 1, outside the store's 0..3");
    }
}

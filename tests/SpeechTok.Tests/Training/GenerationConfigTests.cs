using SpeechTok.Lm.Tokenization;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// lm generate sampled at temperature 0.8 among the top 40 for 50 tokens whatever the model's generation_config.json said;
/// transformers' generate takes do_sample, temperature, top_k, max_new_tokens and max_length from it, and its keyword
/// arguments (our options) override them.
/// </summary>
public sealed class GenerationConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-genconfig-" + Guid.NewGuid().ToString("N")[..8]);

    public GenerationConfigTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private GenerationConfig Read(string? json)
    {
        string path = Path.Combine(_dir, GenerationConfig.FileName);
        if (json == null) File.Delete(path);
        else File.WriteAllText(path, json);
        return GenerationConfig.Read(_dir);
    }

    [Fact]
    public void Options_given_override_the_file_and_the_file_overrides_transformers_defaults()
    {
        var none = new GenerateOptions();
        // No file, or no do_sample: greedy, as transformers (do_sample defaults to false); 50 new tokens.
        Assert.Equal((50, 0.0, 50), Read(null).Resolve(none, 5));
        Assert.Equal((50, 0.0, 40), Read("""{"temperature": 0.8, "top_k": 40}""").Resolve(none, 5));
        Assert.Equal((50, 1.0, 50), Read("""{"do_sample": true}""").Resolve(none, 5));
        Assert.Equal((0, 0.0, 50), Read("""{"do_sample": null, "max_length": 4}""").Resolve(none, 5)); // a prompt as long as max_length: nothing to add

        var sampling = Read("""{"do_sample": true, "temperature": 0.8, "top_k": 40, "max_length": 256}""");
        Assert.Equal((251, 0.8, 40), sampling.Resolve(none, 5)); // max_length counts the prompt's tokens
        Assert.Equal((7, 0.0, 3), sampling.Resolve(new GenerateOptions { MaxNewTokens = 7, Temperature = 0, TopK = 3 }, 5));
        Assert.Equal((9, 1.5, 50), Read("""{"max_new_tokens": 9, "max_length": 100}""").Resolve(new GenerateOptions { Temperature = 1.5 }, 5));
        Assert.Equal((50, 0.0, 50), Read("""{"do_sample": false, "temperature": 0.8}""").Resolve(none, 5));
    }

    /// <summary>What `lm train` writes, so `lm generate --model builtin` samples at 0.8 among the top 40 up to its training context of 256 tokens.</summary>
    [Fact]
    public void The_builtin_model_samples_up_to_its_context()
    {
        int prompt = HfTokenizer.Load(BuiltinLm.Folder).EncodeWithBos("The state of our economy").Length;
        Assert.Equal((256 - prompt, 0.8, 40), GenerationConfig.Read(BuiltinLm.Folder).Resolve(new GenerateOptions(), prompt));
    }

    [Fact]
    public void A_bad_value_is_an_error_naming_the_file_and_key_and_settings_not_applied_are_listed()
    {
        string path = Path.Combine(_dir, GenerationConfig.FileName);
        foreach (var (json, message) in new[]
                 {
                     ("""{"temperature": -1}""", "'temperature' must be a finite number ≥ 0, got -1"),
                     ("""{"temperature": "hot"}""", "'temperature' must be a finite number ≥ 0, got \"hot\""),
                     ("""{"do_sample": "yes"}""", "'do_sample' must be true or false, got \"yes\""),
                     ("""{"top_k": 1.5}""", "'top_k' must be a non-negative integer, got 1.5"),
                     ("""{"max_new_tokens": -2}""", "'max_new_tokens' must be a non-negative integer, got -2"),
                     ("""{"max_length": 1e12}""", "'max_length' must be a non-negative integer, got 1e12"),
                     ("""{"eos_token_id": [1, "x"]}""", "'eos_token_id' must be a non-negative integer or a list of them, got [1, \"x\"]"),
                     ("[]", "expected a JSON object"),
                 })
            Assert.Equal($"{path}: {message}", Assert.Throws<SpeechTokException>(() => Read(json)).Message);

        var qwen = Read("""{"do_sample": true, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05, "num_beams": 1, "typical_p": 1.0}""");
        Assert.Equal(["top_p 0.8", "repetition_penalty 1.05"], qwen.NotApplied);
        Assert.Empty(Read("""{"top_p": 1.0, "min_p": null}""").NotApplied);
    }
}

using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>
/// How a run extended the checkpoint's vocabulary (the <c>tokenizer</c> of pretrain.json and run.json): the ids of
/// the appended rows, the trainable block (audio tokens then markers) and every added token.
/// </summary>
public sealed record VocabularyExtension
{
    [JsonPropertyName("base_vocab_size")] public int BaseVocabSize { get; init; }
    [JsonPropertyName("pad_id")] public int PadId { get; init; }
    [JsonPropertyName("bos_id")] public int? BosId { get; init; }
    [JsonPropertyName("new_row_count")] public int NewRowCount { get; init; }
    /// <summary>Token id of the first trainable row.</summary>
    [JsonPropertyName("trainable_start")] public int TrainableStart { get; init; }
    [JsonPropertyName("trainable_count")] public int TrainableCount { get; init; }
    [JsonPropertyName("added_tokens")] public required IReadOnlyList<Token> AddedTokens { get; init; }

    /// <summary>
    /// Refuses a model whose tokenizer now starts a text with another BOS than this record's run did (e.g. a build that
    /// follows tokenizer_config.json's <c>add_bos_token: false</c>, or an edited file): every input of the run would change.
    /// </summary>
    /// <exception cref="SpeechTokException">The BOS ids differ, naming <paramref name="source"/> and both ids.</exception>
    public void RequireSameBos(int? now, string source)
    {
        if (BosId != now)
            throw new SpeechTokException($"{source}: 'tokenizer.bos_id' is {Show(BosId)}, but the model's tokenizer now starts a text with {Show(now)} "
                + "(its tokenizer_config.json changed, or this build follows its add_bos_token): the run's inputs would not be the ones it was trained on; "
                + "restore the model folder's files, or train again into a new --out");
        static string Show(int? id) => id is int i ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
    }

    /// <summary>One token the run added to the tokenizer.</summary>
    public sealed record Token(
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("id")] int Id,
        [property: JsonPropertyName("special")] bool Special);
}

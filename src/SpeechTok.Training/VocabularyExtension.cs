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

    /// <summary>One token the run added to the tokenizer.</summary>
    public sealed record Token(
        [property: JsonPropertyName("content")] string Content,
        [property: JsonPropertyName("id")] int Id,
        [property: JsonPropertyName("special")] bool Special);
}

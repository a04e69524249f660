using System.Text.Json.Nodes;
using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Tests.Lm;

/// <summary>A hand-made byte-level BPE tokenizer.json: ids 0..255 are the bytes (id = byte value), then merges.</summary>
internal static class TinyTokenizer
{
    public const string Llama3Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // merge -> merged token id (ids from 256 in this order)
    public static readonly string[][] Merges =
    [
        ["h", "e"],      // 256 he
        ["l", "l"],      // 257 ll
        ["he", "ll"],    // 258 hell
        ["hell", "o"],   // 259 hello
        ["Ġ", "h"],      // 260 Ġh
        ["Ġh", "ello"],  // 261 Ġhello (needs "ello")
        ["e", "ll"],     // 262 ell
        ["ell", "o"],    // 263 ello
        ["a", "a"],      // 264 aa
    ];

    public static JsonObject Json(bool stringMerges = true, bool ignoreMerges = true, JsonNode? postProcessor = null, JsonArray? addedTokens = null)
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevel.ByteToChar[b].ToString()] = b;
        int id = 256;
        foreach (var m in Merges) vocab[m[0] + m[1]] = id++;
        vocab["Ġworld"] = id++; // 265: reachable only through ignore_merges (no merges build it)
        var merges = new JsonArray();
        foreach (var m in Merges) merges.Add(stringMerges ? JsonValue.Create(m[0] + " " + m[1]) : new JsonArray(m[0], m[1]));
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = addedTokens ?? new JsonArray(Added("<s>", 266, special: true)),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Regex }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = postProcessor ?? new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = ignoreMerges,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
    }

    public static JsonObject Added(string content, int id, bool special, bool lstrip = false, bool rstrip = false, bool singleWord = false, bool normalized = false) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = singleWord, ["lstrip"] = lstrip, ["rstrip"] = rstrip,
        ["normalized"] = normalized, ["special"] = special,
    };

    public static JsonObject BosTemplate(string bos = "<s>", int bosId = 266) => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = new JsonArray(
            new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = bos, ["type_id"] = 0 } },
            new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
        ["pair"] = new JsonArray(),
        ["special_tokens"] = new JsonObject { [bos] = new JsonObject { ["id"] = bos, ["ids"] = new JsonArray(bosId), ["tokens"] = new JsonArray(bos) } },
    };

    public static HfTokenizer Build(bool stringMerges = true, bool ignoreMerges = true, JsonNode? postProcessor = null, JsonArray? addedTokens = null, string? bosToken = "<s>") =>
        HfTokenizer.FromJson(Json(stringMerges, ignoreMerges, postProcessor, addedTokens).ToJsonString(), "tiny/tokenizer.json", bosToken);
}

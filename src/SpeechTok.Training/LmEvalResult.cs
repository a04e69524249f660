using System.Text.Json.Nodes;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>Held-out causal-LM numbers of a text: summed negative log-likelihood of its tokens, their count and its UTF-8 bytes.</summary>
public sealed record LmEvalResult(double Nats, long Tokens, long Bytes)
{
    /// <summary>Mean loss per token (nats).</summary>
    public double MeanLoss => Nats / Tokens;

    /// <summary>Total nats / ln 2 / UTF-8 bytes: comparable across tokenizers.</summary>
    public double BitsPerByte => Nats / Math.Log(2) / Bytes;

    /// <summary>exp(mean loss per token): depends on the tokenizer.</summary>
    public double Perplexity => Math.Exp(MeanLoss);

    /// <summary>The numbers as <see cref="LmHeldOut"/>'s JSON object.</summary>
    public JsonObject ToJson() => ArtifactJson.ToNode(LmHeldOut.Of(this));
}

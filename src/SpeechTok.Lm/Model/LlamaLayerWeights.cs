using SpeechTok.Tensors;

namespace SpeechTok.Lm.Model;

/// <summary>One decoder layer's tensors under their HF names (biases null when the config has none).</summary>
public sealed class LlamaLayerWeights
{
    public required Tensor QProj { get; init; }
    public required Tensor KProj { get; init; }
    public required Tensor VProj { get; init; }
    public required Tensor OProj { get; init; }
    public Tensor? QBias { get; init; }
    public Tensor? KBias { get; init; }
    public Tensor? VBias { get; init; }
    public Tensor? OBias { get; init; }
    public required Tensor GateProj { get; init; }
    public required Tensor UpProj { get; init; }
    public required Tensor DownProj { get; init; }
    public Tensor? GateBias { get; init; }
    public Tensor? UpBias { get; init; }
    public Tensor? DownBias { get; init; }
    public required Tensor InputLayerNorm { get; init; }
    public required Tensor PostAttentionLayerNorm { get; init; }
}

namespace SpeechTok.Codec.Builtin;

public sealed record BuiltinFitOptions
{
    public int Seed { get; init; } = 0;
    public int NumQuantizers { get; init; } = 8;
    /// <summary>Upper bound on each layer's codebook; a layer gets min(this, frames / <see cref="FramesPerCode"/>) codes.</summary>
    public int CodebookSize { get; init; } = AudioFeatureLayout.DefaultCodebookSize;
    /// <summary>
    /// Fitting frames per code (on average): tiny training sets get fewer codes, so that every code is seen often
    /// enough for its centroid to mean something. The cap of 1024 codes is reached from 32 768 frames (11 minutes of audio).
    /// Much coarser codebooks (256 frames a code, ~100 codes for the demo) made each token so common that the LM
    /// systems did worse on the demo (docs/experiments.md).
    /// </summary>
    public int FramesPerCode { get; init; } = 32;
    public int MaxIterations { get; init; } = 25;
    /// <summary>
    /// The frame budget of the fit: frames are kept at a stride that doubles whenever the pool passes twice the budget, so a
    /// fit uses between <c>MaxFrames</c> and 2 × <c>MaxFrames</c> frames once there are more (evenly, deterministically).
    /// </summary>
    public int MaxFrames { get; init; } = 60000;

    /// <summary>Checks every setting before any audio is read; errors name the CLI option.</summary>
    public void Validate()
    {
        // At most SpeechTokenizer's RVQ depth, which the paper's systems (layers 2-8 and 1-8) are defined on; fewer layers are selected among as they are.
        if (NumQuantizers is < 1 or > 8) throw new SpeechTokException($"--num-quantizers {NumQuantizers}: must be in 1..8");
        if (CodebookSize is < 2 or > 65536) throw new SpeechTokException($"--codebook-size {CodebookSize}: must be in 2..65536 (codes are stored as uint16)");
        if (FramesPerCode < 1) throw new SpeechTokException($"--frames-per-code {FramesPerCode}: must be at least 1");
    }
}

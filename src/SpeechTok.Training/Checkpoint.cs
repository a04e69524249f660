using SpeechTok.IO;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>
/// A resumable training state in one folder, replaced atomically as a whole: <c>state.json</c> (a
/// <see cref="PretrainState"/> or <see cref="FinetuneState"/>: counters, best-so-far, curves),
/// <c>tensors.safetensors</c> (trainable values and the best snapshot) and <c>optimizer.safetensors</c>
/// (AdamW moments and step).
/// </summary>
internal static class Checkpoint
{
    public const string Folder = "checkpoint", StateFile = "state.json", TensorsFile = "tensors.safetensors", OptimizerFile = "optimizer.safetensors";
    public static readonly ArtifactKind StateKind = new("checkpoint state", "speechtok-checkpoint", Version: 1);

    public static void Save<TState>(string runDir, TState state, IEnumerable<(string Name, Tensor Tensor)> tensors, AdamW optimizer) where TState : class, IArtifact =>
        AtomicFolder.Replace(Path.Combine(runDir, Folder), dir =>
        {
            SafeTensors.Save(Path.Combine(dir, TensorsFile), tensors);
            optimizer.Save(Path.Combine(dir, OptimizerFile));
            ArtifactJson.Save(Path.Combine(dir, StateFile), state, StateKind);
        });

    /// <summary>
    /// The saved state, or null when there is none. <paramref name="check"/> sees the state record first (a run's settings
    /// are compared there, before anything is copied); then <paramref name="restore"/> receives the tensors by name and
    /// the number of values the run expects of each.
    /// </summary>
    /// <exception cref="SpeechTokException">A tensor missing or of another size than the run's (a checkpoint of another
    /// configuration), naming the file and the tensor; whatever <paramref name="check"/> throws.</exception>
    public static TState? Load<TState>(string runDir, AdamW optimizer, Action<TState>? check, Action<Func<string, int, float[]>> restore) where TState : class, IArtifact
    {
        var dir = AtomicFolder.Complete(Path.Combine(runDir, Folder));
        if (dir == null) return null;
        var state = ArtifactJson.Load<TState>(Path.Combine(dir, StateFile), StateKind);
        check?.Invoke(state);
        using (var st = SafeTensors.Open(Path.Combine(dir, TensorsFile)))
        {
            restore((name, length) =>
            {
                if (!st.Contains(name)) throw new SpeechTokException($"{dir}/{TensorsFile}: tensor '{name}' is missing (checkpoint from another configuration?)");
                using var t = st.Get(name);
                if (t.Length != length)
                    throw new SpeechTokException($"{dir}/{TensorsFile}: tensor '{name}' has {t.Length} values where this run has {length}: "
                        + "the checkpoint is of another configuration (another selection or model?); use a new --out folder");
                return t.ToArray();
            });
        }
        optimizer.Load(Path.Combine(dir, OptimizerFile));
        return state;
    }

    /// <summary>A tensor that aliases a pinned array (LoRA factors, score head), for saving and for optimizer parameters.</summary>
    public static unsafe Tensor Alias(float[] pinned, params int[] shape) =>
        Tensor.View(DType.F32, (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref pinned[0]), shape, null, readOnly: false);
}

using System.Text.Json.Nodes;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>
/// A resumable training state in one folder, replaced atomically as a whole: <c>state.json</c> (counters,
/// best-so-far, curves), <c>tensors.safetensors</c> (trainable values and the best snapshot) and
/// <c>optimizer.safetensors</c> (AdamW moments and step).
/// </summary>
internal static class Checkpoint
{
    public const string Folder = "checkpoint";

    public static void Save(string runDir, JsonObject state, IEnumerable<(string Name, Tensor Tensor)> tensors, AdamW optimizer)
    {
        state["format"] = "speechtok-checkpoint";
        state["format_version"] = RunFiles.FormatVersion;
        RunFiles.ReplaceFolder(Path.Combine(runDir, Folder), dir =>
        {
            SafeTensors.Save(Path.Combine(dir, "tensors.safetensors"), tensors);
            optimizer.Save(Path.Combine(dir, "optimizer.safetensors"));
            RunFiles.WriteJson(Path.Combine(dir, "state.json"), state);
        });
    }

    /// <summary>The saved state, or null when there is none; <paramref name="restore"/> receives the tensors by name.</summary>
    public static JsonObject? Load(string runDir, AdamW optimizer, Action<Func<string, float[]>> restore)
    {
        var dir = RunFiles.CompleteFolder(Path.Combine(runDir, Folder));
        if (dir == null) return null;
        var state = RunFiles.ReadJson(Path.Combine(dir, "state.json"));
        using (var st = SafeTensors.Open(Path.Combine(dir, "tensors.safetensors")))
        {
            restore(name =>
            {
                if (!st.Contains(name)) throw new SpeechTokException($"{dir}/tensors.safetensors: tensor '{name}' is missing (checkpoint from another configuration?)");
                using var t = st.Get(name);
                return t.ToArray();
            });
        }
        optimizer.Load(Path.Combine(dir, "optimizer.safetensors"));
        return state;
    }

    /// <summary>A tensor that aliases a pinned array (LoRA factors, score head), for saving and for optimizer parameters.</summary>
    public static unsafe Tensor Alias(float[] pinned, params int[] shape) =>
        Tensor.View(DType.F32, (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref pinned[0]), shape, null, readOnly: false);
}

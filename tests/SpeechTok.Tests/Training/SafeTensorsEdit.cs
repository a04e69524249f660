using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Tests.Training;

/// <summary>Rewrites a safetensors file in place (as F32), letting <c>edit</c> change the tensors it picks: damaged or altered
/// checkpoints and adapters for tests.</summary>
internal static class SafeTensorsEdit
{
    public static void Rewrite(string path, Action<string, Span<float>, int[]> edit)
    {
        var tensors = new List<(string, Tensor)>();
        Dictionary<string, string> metadata;
        using (var st = SafeTensors.Open(path))
        {
            metadata = new Dictionary<string, string>(st.Metadata);
            foreach (var name in st.Names)
            {
                var t = st.Get(name).ToF32();
                var copy = Tensor.Zeros(t.Shape);
                t.ReadOnlySpan.CopyTo(copy.Span);
                edit(name, copy.Span, copy.Shape);
                tensors.Add((name, copy));
            }
        }
        SafeTensors.Save(path, tensors, metadata);
    }
}

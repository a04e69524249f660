namespace SpeechTok.Codec.Torch;

/// <summary>A pickle global that passed the allow-list (module + name, e.g. torch._utils._rebuild_tensor_v2).</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => Module + "." + Name;
}

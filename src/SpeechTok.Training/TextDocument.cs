using System.Text;

namespace SpeechTok.Training;

/// <summary>One plain-text document of a corpus: its file and its UTF-8 text.</summary>
public sealed record TextDocument(string Path, string Text)
{
    public string Name => System.IO.Path.GetFileName(Path);
    public long Bytes => Encoding.UTF8.GetByteCount(Text);
}

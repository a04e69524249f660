namespace SpeechTok;

/// <summary>
/// An error caused by the user's input (a file, a manifest row, an option), with a message that names
/// what is wrong and where. The CLI prints it without a stack trace. Every project throws this (or a
/// subclass) for bad input, never IndexOutOfRange or a bare crash.
/// </summary>
public class SpeechTokException : Exception
{
    public SpeechTokException(string message) : base(message) { }
    public SpeechTokException(string message, Exception inner) : base(message, inner) { }
}

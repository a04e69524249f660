namespace SpeechTok.Training;

/// <summary>Turns a <c>--model</c> value into a model folder: <c>builtin</c> is the pre-trained model that ships with SpeechTok (<see cref="BuiltinLm"/>).</summary>
public static class ModelResolver
{
    /// <summary>The <c>--model</c> value that selects the built-in LM.</summary>
    public const string Builtin = "builtin";

    /// <summary>The model folder for a <c>--model</c> value: <see cref="BuiltinLm.Folder"/> for <c>builtin</c>, else the value itself.</summary>
    public static string Resolve(string model) => model == Builtin ? BuiltinLm.Folder : model;
}

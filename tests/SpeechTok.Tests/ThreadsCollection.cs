namespace SpeechTok.Tests;

/// <summary>
/// Tests that set the process-wide <c>Threading.Threads</c> and assert what it is: they run alone, after the
/// parallel ones, since other tests (and every <c>ExperimentRunner</c>) set it too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadsCollection
{
    public const string Name = "Threading.Threads";
}

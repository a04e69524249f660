namespace SpeechTok.Experiments.Demo;

/// <summary>How the class label combines the two factors of an utterance.</summary>
public enum DemoLabeling
{
    /// <summary>4 classes: 0 calm-negative, 1 calm-positive, 2 excited-negative, 3 excited-positive.</summary>
    Quadrants,

    /// <summary>2 classes: 1 when the voice contradicts the words (positive words said calmly, negative words said excitedly).</summary>
    Incongruent,
}

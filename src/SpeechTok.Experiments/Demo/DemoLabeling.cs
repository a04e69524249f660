namespace SpeechTok.Experiments.Demo;

/// <summary>How the class label combines the factors of an utterance.</summary>
public enum DemoLabeling
{
    /// <summary>4 classes: 0 calm-negative, 1 calm-positive, 2 excited-negative, 3 excited-positive.</summary>
    Quadrants,

    /// <summary>2 classes: 1 when the voice contradicts the words (positive words said calmly, negative words said excitedly).</summary>
    Incongruent,

    /// <summary>
    /// 4 labels, any subset (some clips have none): 0 negative words (the text), 1 high pitch, 2 fast speech, 3 loud
    /// voice (each voice factor drawn independently for a third of the clips), so text alone knows one label of four.
    /// </summary>
    MultiLabel,
}

namespace SpeechTok.Selection;

/// <summary>
/// The selection problem after METHOD §2.5 steps 1–4: [audio counts | text counts] split into inner
/// train/test rows, TF-IDF fit on the inner-train rows (L2 row norm over the joint row), then the
/// with_mean=False scaler fit on the same rows.
/// </summary>
public sealed class SelectionProblem
{
    public required int AudioColumns { get; init; }
    public required int NumClasses { get; init; }
    public required CsrMatrix Train { get; init; }
    public required int[] TrainLabels { get; init; }
    public required CsrMatrix Test { get; init; }
    public required int[] TestLabels { get; init; }
    public required TfidfTransformer Tfidf { get; init; }
    public required StandardScalerNoMean Scaler { get; init; }

    /// <param name="counts">Raw counts, audio columns first (<paramref name="audioColumns"/> of them), then any text columns.</param>
    public static SelectionProblem Prepare(CsrMatrix counts, int audioColumns, int[] labels, int numClasses, int[] innerTrain, int[] innerTest)
    {
        if (labels.Length != counts.Rows) throw new ArgumentException($"{counts.Rows} rows but {labels.Length} labels");
        if (innerTrain.Length == 0) throw new SpeechTokException("the inner training split is empty");
        var trainCounts = counts.SelectRows(innerTrain);
        var tfidf = TfidfTransformer.Fit(trainCounts);
        var trainTf = tfidf.Transform(trainCounts);
        var scaler = StandardScalerNoMean.Fit(trainTf);
        return new SelectionProblem
        {
            AudioColumns = audioColumns,
            NumClasses = numClasses,
            Train = scaler.Transform(trainTf),
            TrainLabels = innerTrain.Select(i => labels[i]).ToArray(),
            Test = scaler.Transform(tfidf.Transform(counts.SelectRows(innerTest))),
            TestLabels = innerTest.Select(i => labels[i]).ToArray(),
            Tfidf = tfidf,
            Scaler = scaler,
        };
    }

    /// <summary>The same features with binary targets (one label of a one-vs-rest problem).</summary>
    public SelectionProblem Relabel(int[] trainLabels, int[] testLabels)
    {
        if (trainLabels.Length != Train.Rows || testLabels.Length != Test.Rows)
            throw new ArgumentException($"{trainLabels.Length}/{testLabels.Length} labels for {Train.Rows}/{Test.Rows} rows");
        return new SelectionProblem
        {
            AudioColumns = AudioColumns, NumClasses = 2, Train = Train, TrainLabels = trainLabels, Test = Test, TestLabels = testLabels,
            Tfidf = Tfidf, Scaler = Scaler,
        };
    }
}

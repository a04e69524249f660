using SpeechTok.IO;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Lm.Tokenization;
using SpeechTok.Selection;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>
/// A Hugging Face model folder (config.json, model.safetensors or shards, tokenizer.json) with the method's
/// vocabulary extension: rows appended for every id the tokenizer gains ([PAD] when absent, the audio tokens,
/// the four markers). Only the audio tokens and markers train; the [PAD] row stays at its initial value.
/// The table follows HF's <c>resize_token_embeddings(len(tokenizer))</c>: a checkpoint padded past its tokenizer
/// (Qwen2.5) is cut to the tokenizer's ids, and new ids that fall on dropped padding rows start from those rows'
/// checkpoint values. A tokenizer with more ids than the checkpoint has rows is refused before any work.
/// </summary>
public sealed class LanguageModel : IDisposable
{
    public string Folder { get; }
    public LlamaConfig Config { get; }
    public LlamaWeights Weights { get; }
    public HfTokenizer Tokenizer { get; }
    /// <summary>Null for text-only runs.</summary>
    public AudioVocabulary? Vocabulary { get; }
    public int PadId { get; }
    /// <summary>Rows [BaseVocabSize, BaseVocabSize + NewRowCount) exist beyond the checkpoint.</summary>
    public int NewRowCount { get; }
    /// <summary>Offset, within the appended rows, of the trainable block (audio tokens then markers) and its length.</summary>
    public int TrainableStart { get; }
    public int TrainableCount { get; }
    /// <summary>Rows of the checkpoint's embedding table as stored (padding included).</summary>
    public int CheckpointRows { get; }
    private readonly SafeTensors _st;
    private readonly (Tensor Embed, Tensor? Head) _padding; // checkpoint rows past the tokenizer's ids

    private LanguageModel(string folder, LlamaConfig c, LlamaWeights w, HfTokenizer tok, AudioVocabulary? vocab, SafeTensors st, int checkpointRows, (Tensor, Tensor?) padding)
    {
        Folder = folder; Config = c; Weights = w; Tokenizer = tok; Vocabulary = vocab; _st = st; CheckpointRows = checkpointRows; _padding = padding;
        PadId = tok.PadId ?? throw new SpeechTokException($"{folder}: the tokenizer has no pad token after extension");
        NewRowCount = tok.VocabSize - w.BaseVocabSize;
        if (vocab != null)
        {
            var ids = vocab.NewTokenIds;
            for (int i = 1; i < ids.Count; i++)
                if (ids[i] != ids[0] + i) throw new SpeechTokException($"{folder}: the added audio tokens and markers do not have consecutive ids ({ids[i - 1]}, {ids[i]})");
            if (ids[0] < w.BaseVocabSize)
                throw new SpeechTokException($"{folder}: token '{tok.IdToToken(ids[0])}' already exists in the checkpoint's vocabulary (id {ids[0]}); a fresh tokenizer.json is needed");
            TrainableStart = ids[0] - w.BaseVocabSize;
            TrainableCount = ids.Count;
        }
    }

    /// <summary>
    /// Loads <paramref name="folder"/> and extends its tokenizer for <paramref name="selection"/>, or with
    /// <paramref name="audioVector"/> for the audio-vector system (markers and the vector slot), else text only ([PAD] only).
    /// </summary>
    public static LanguageModel Load(string folder, SelectedAudioTokens? selection, bool audioVector = false)
    {
        if (selection != null && audioVector) throw new SpeechTokException("a run uses either selected audio tokens or one audio vector, not both");
        folder = InputPaths.RequireFolder(folder, "model folder");
        string need = $"fine-tuning and pre-training start from a language model folder (--model), {CausalLmFolder.BaseModelHint(folder)}";
        CausalLmFolder.RequireNotAdapter(folder, need);
        var c = LlamaConfig.Load(folder);
        var st = SafeTensors.OpenModel(folder);
        try
        {
            LlamaCheckpoint.RequireCausalLm(folder, c, st, need);
            var w = LlamaWeights.Load(c, st, folder);
            var tok = HfTokenizer.Load(folder);
            int rows = w.BaseVocabSize;
            RequireTokenizerFits(folder, tok, c, rows);
            var padding = w.DropPaddedRows(Math.Min(tok.VocabSize, rows)); // a pad only tokenizer_config.json names may lie past the rows: it gets a new row
            AudioVocabulary? vocab = null;
            if (selection != null) vocab = AudioVocabulary.Extend(tok, selection.Features, selection.Layout);
            else if (audioVector) vocab = AudioVocabulary.ExtendForVector(tok);
            else if (tok.PadId == null) tok.AddPadToken();
            return new LanguageModel(folder, c, w, tok, vocab, st, rows, padding);
        }
        catch
        {
            st.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a tokenizer.json with more ids than the checkpoint has embedding rows (as HF would fail on the first such
    /// id): it belongs to another model. A pad token that only tokenizer_config.json names does not count: it gets a new row.</summary>
    internal static void RequireTokenizerFits(string folder, HfTokenizer tok, LlamaConfig c, int rows)
    {
        if (tok.FileVocabSize > rows)
            throw new SpeechTokException($"{Path.Combine(folder, "tokenizer.json")} has {tok.FileVocabSize} token ids (0 to {tok.FileVocabSize - 1}) but the checkpoint "
                + $"({Path.Combine(folder, "config.json")} vocab_size {c.VocabSize}, model.embed_tokens.weight) has {rows} embedding rows: the tokenizer does not belong to this model");
    }

    /// <summary>Refuses a max length of <paramref name="maxLength"/> tokens past the model's <c>max_position_embeddings</c> or
    /// <c>sliding_window</c> (<see cref="LlamaConfig.CheckSequenceLength"/>), naming it as <paramref name="option"/>.</summary>
    public void CheckSequenceLength(int maxLength, string option) => Config.CheckSequenceLength(maxLength, Path.Combine(Folder, "config.json"), option);

    /// <summary>The sample serialiser for training with this model and tokenizer; refuses a <paramref name="maxLength"/> the model
    /// cannot take (<see cref="CheckSequenceLength"/>), naming it as <paramref name="option"/> (the CLI's <c>--max-length</c>, a preset's field).</summary>
    public SampleSerializer Serializer(SerializationMode mode, int maxLength, string option)
    {
        CheckSequenceLength(maxLength, option);
        return new SampleSerializer(Tokenizer, Vocabulary, mode, maxLength);
    }

    /// <summary>Makes the appended rows (<see cref="NewRows"/>) and attaches them to <see cref="Weights"/>.</summary>
    public (Tensor Embed, Tensor? Head) AttachNewRows(ulong seed, Tensor? trained = null, Tensor? trainedHead = null)
    {
        var (embed, head) = NewRows(seed, trained, trainedHead);
        Weights.ExtendVocabulary(embed, head);
        return (embed, head);
    }

    /// <summary>
    /// The appended rows [NewRowCount, hidden]: all N(0, 0.02²) from <paramref name="seed"/> (HF's _init_weights), except the
    /// first ones, which take the checkpoint's padding rows when the table was padded (HF's resize keeps rows below
    /// the old size); then the trainable block overwritten by <paramref name="trained"/> when given
    /// ([TrainableCount, hidden]). Returns the input rows and, for an untied model, the lm_head rows; attaches nothing.
    /// </summary>
    public (Tensor Embed, Tensor? Head) NewRows(ulong seed, Tensor? trained = null, Tensor? trainedHead = null)
    {
        int h = Config.HiddenSize;
        Tensor Make(string purpose, Tensor? padding, Tensor? src)
        {
            var t = Tensor.Zeros(NewRowCount, h);
            Rng.ForPurpose(seed, purpose).FillNormal(t.Span, 0, 0.02);
            if (padding != null)
            {
                int keep = Math.Min(NewRowCount, padding.Shape[0]);
                padding.ReadOnlySpan[..(keep * h)].CopyTo(t.Span);
            }
            if (src != null)
            {
                if (src.Rank != 2 || src.Shape[0] != TrainableCount || src.Shape[1] != h)
                    throw ShapeMismatchException.Of("pre-trained rows", src.Shape, [TrainableCount, h]);
                src.ToF32().ReadOnlySpan.CopyTo(t.Span.Slice(TrainableStart * h));
            }
            return t;
        }
        var embed = Make("new_rows.embed", _padding.Embed, trained);
        var head = Config.TieWordEmbeddings ? null : Make("new_rows.lm_head", _padding.Head, trainedHead);
        return (embed, head);
    }

    /// <summary>The ids the tokenizer added and the trainable block, recorded in pretrain.json and run.json.</summary>
    public VocabularyExtension Extension() => new()
    {
        BaseVocabSize = Weights.BaseVocabSize, PadId = PadId, BosId = Tokenizer.BosId, NewRowCount = NewRowCount,
        TrainableStart = Weights.BaseVocabSize + TrainableStart, TrainableCount = TrainableCount,
        AddedTokens = Tokenizer.AddedTokens.Where(t => t.Id >= Weights.BaseVocabSize).Select(t => new VocabularyExtension.Token(t.Content, t.Id, t.Special)).ToList(),
    };

    public void Dispose() => _st.Dispose();
}

using System.Text.Json;
using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Experiments.Runner;

/// <summary>
/// OUT/timings.json of an experiment (<see cref="StepTimings"/>): one field per step, in the order the steps first
/// started, after the format tag, <c>{"step": {"seconds", "attempts", "finished", "system"}}</c>. A bare number for a
/// step (the format before attempts) reads as one finished attempt of that many seconds.
/// </summary>
[JsonConverter(typeof(Converter))]
internal sealed record StepTimingsFile : IArtifact
{
    /// <summary>Files written before the format tag existed (the steps alone) are this same version 1.</summary>
    public static readonly ArtifactKind Kind = new("step timings", "speechtok-timings", Version: 1, UnmarkedVersion: 1);

    /// <summary>The steps by name, in the order they first started.</summary>
    public required IReadOnlyList<KeyValuePair<string, StepTiming>> Steps { get; init; }

    public static StepTimingsFile Load(string path) => ArtifactJson.Load<StepTimingsFile>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source)
    {
        foreach (var (step, t) in Steps)
        {
            if (step is ArtifactKind.FormatField or ArtifactKind.FormatVersionField) throw new SpeechTokException($"{source}: a step cannot be named '{step}'");
            if (!(t.Seconds >= 0) || double.IsInfinity(t.Seconds))
                throw new SpeechTokException($"{source}: step '{step}' has {t.Seconds} seconds, expected a non-negative number");
            if (t.Attempts < 1) throw new SpeechTokException($"{source}: step '{step}' has {t.Attempts} attempts, expected at least 1");
        }
    }

    /// <summary>The steps as the fields of one object (the format tag's fields, which <see cref="ArtifactJson"/> reads, skipped).</summary>
    internal sealed class Converter : JsonConverter<StepTimingsFile>
    {
        public override StepTimingsFile Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("expected an object of steps");
            var steps = new List<KeyValuePair<string, StepTiming>>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string step = reader.GetString()!;
                reader.Read();
                var value = JsonElement.ParseValue(ref reader);
                if (step is ArtifactKind.FormatField or ArtifactKind.FormatVersionField) continue;
                if (steps.Any(s => s.Key == step)) throw new JsonException($"step '{step}' is listed twice");
                steps.Add(KeyValuePair.Create(step, Entry(step, value, options)));
            }
            return new StepTimingsFile { Steps = steps };
        }

        private static StepTiming Entry(string step, JsonElement value, JsonSerializerOptions options)
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double seconds)) return new StepTiming { Seconds = seconds, Attempts = 1, Finished = true };
            try
            {
                if (value.ValueKind == JsonValueKind.Object && value.Deserialize<StepTiming>(options) is { } entry) return entry;
            }
            catch (JsonException) { } // named below with the whole entry
            throw new JsonException($"step '{step}' is {value.GetRawText()}, expected {{\"seconds\": number, \"attempts\": integer ≥ 1, \"finished\": bool, \"system\": string (optional)}} or a number of seconds");
        }

        public override void Write(Utf8JsonWriter writer, StepTimingsFile value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var (step, t) in value.Steps)
            {
                writer.WritePropertyName(step);
                JsonSerializer.Serialize(writer, t, options);
            }
            writer.WriteEndObject();
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpeechTok.Evaluation;

/// <summary>
/// One seed's test scores. In JSON an object <c>{"seed", "macro_f1", "macro_f1_all_labels", "f1_class_1", "micro_f1",
/// "per_label_f1", "accuracy"}</c>; a bare number is read as its macro_f1.
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed record SeedScore
{
    public int? Seed { get; init; }
    public double MacroF1 { get; init; }
    public double? MacroF1AllLabels { get; init; }
    public double? F1Class1 { get; init; }
    /// <summary>Multi-label tasks: micro-F1 over every (sample, label) decision.</summary>
    public double? MicroF1 { get; init; }
    /// <summary>Multi-label tasks: F1 of each label (threshold 0.5).</summary>
    public double[]? PerLabelF1 { get; init; }
    /// <summary>sklearn's accuracy_score: the share of samples predicted right; for multi-label tasks, with their whole label
    /// set (subset accuracy). Null in files written before it was recorded.</summary>
    public double? Accuracy { get; init; }

    internal sealed class Converter : JsonConverter<SeedScore>
    {
        public override SeedScore Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number) return new SeedScore { MacroF1 = reader.GetDouble() };
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a per_seed entry must be a number or an object");
            int? seed = null;
            double? f1 = null, all = null, c1 = null, micro = null, accuracy = null;
            double[]? perLabel = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString();
                reader.Read();
                bool isNull = reader.TokenType == JsonTokenType.Null;
                switch (name)
                {
                    case "seed": seed = isNull ? null : reader.GetInt32(); break;
                    case "macro_f1": f1 = isNull ? null : reader.GetDouble(); break;
                    case "macro_f1_all_labels": all = isNull ? null : reader.GetDouble(); break;
                    case "f1_class_1": c1 = isNull ? null : reader.GetDouble(); break;
                    case "micro_f1": micro = isNull ? null : reader.GetDouble(); break;
                    case "accuracy": accuracy = isNull ? null : reader.GetDouble(); break;
                    case "per_label_f1": perLabel = isNull ? null : JsonSerializer.Deserialize<double[]>(ref reader, options); break;
                    default: reader.Skip(); break;
                }
            }
            if (f1 == null) throw new JsonException("a per_seed entry has no 'macro_f1'");
            return new SeedScore { Seed = seed, MacroF1 = f1.Value, MacroF1AllLabels = all, F1Class1 = c1, MicroF1 = micro, PerLabelF1 = perLabel, Accuracy = accuracy };
        }

        public override void Write(Utf8JsonWriter writer, SeedScore value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            if (value.Seed is int s) writer.WriteNumber("seed", s);
            writer.WriteNumber("macro_f1", value.MacroF1);
            if (value.MacroF1AllLabels is double a) writer.WriteNumber("macro_f1_all_labels", a);
            if (value.F1Class1 is double c) writer.WriteNumber("f1_class_1", c);
            if (value.MicroF1 is double m) writer.WriteNumber("micro_f1", m);
            if (value.Accuracy is double acc) writer.WriteNumber("accuracy", acc);
            if (value.PerLabelF1 is { } pl)
            {
                writer.WritePropertyName("per_label_f1");
                JsonSerializer.Serialize(writer, pl, options);
            }
            writer.WriteEndObject();
        }
    }
}

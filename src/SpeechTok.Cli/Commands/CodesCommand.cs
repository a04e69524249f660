using System.CommandLine;
using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Tensors;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok codes`: prints the RVQ codes of audio files as JSON {"FILE": [[layer 1], …]}.</summary>
internal static class CodesCommand
{
    public static Command Build()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer folder (built-in or official SpeechTokenizer).", Required = true };
        var mixdown = new Option<bool>("--mixdown") { Description = "Average all channels instead of taking channel 0." };
        var threads = new Option<int>("--threads") { Description = "Threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var files = new Argument<string[]>("FILE") { Description = "Audio files (WAV, or anything ffmpeg reads).", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("codes", "Print the RVQ codes of audio files as JSON.") { tokenizer, mixdown, threads, files };
        cmd.SetAction(r =>
        {
            Threading.Threads = r.GetValue(threads);
            var tok = TokenizerLoader.Load(r.GetValue(tokenizer)!);
            var paths = r.GetValue(files)!;
            var audio = paths.Select(p => AudioLoader.Load(p, r.GetValue(mixdown))).ToList(); // all files read before printing anything
            using var stdout = Console.OpenStandardOutput();
            using (var w = new Utf8JsonWriter(stdout))
            {
                w.WriteStartObject();
                for (int i = 0; i < paths.Length; i++)
                {
                    w.WriteStartArray(paths[i]);
                    foreach (var layer in tok.Encode(audio[i]))
                    {
                        w.WriteStartArray();
                        foreach (var c in layer) w.WriteNumberValue(c);
                        w.WriteEndArray();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
            return 0;
        });
        return cmd;
    }
}

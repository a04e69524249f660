using System.Text;
using SpeechTok.Audio;
using Xunit.Abstractions;

namespace SpeechTok.Tests.Fuzz;

/// <summary>Manifest CSVs: byte mutations and CSV-aware ones (a field replaced by quotes, separators, newlines, odd labels or splits; lines dropped, doubled, CRLF, BOM).</summary>
public sealed class ManifestFuzzTests(ITestOutputHelper output, FuzzLog log) : IClassFixture<FuzzLog>
{
    private static readonly string[] Seeds =
    [
        "split,text,audio_path_list,label\ntrain,hello world,a.wav,0\ntrain,\"quoted, \"\"text\"\"\nover lines\",b.wav|c.wav,1\nval,v,d.wav,1\ntest,t,e.wav,0\n",
        "\uFEFFindex,split,id,text,audio_path_list,label,extra\r\n3,train,x1,a b,a.wav,2,z\r\n1,train,x2,c d,sub/b.wav,0,z\r\n7,test,x3,e f,c.wav,1,\r\n",
        "split,text,audio_path_list,labels\ntrain,a,a.wav,0;2\ntrain,b,b.wav,1\nval,c,c.wav,\ntest,d,d.wav,0;1;2\n",
        "label,audio_path_list,text,split\n1,a.wav,\"\",train\n0,,x,val\n",
    ];

    private static readonly string[] Fields =
    [
        "", "\"", "\"\"", "\"a\"b", "a,b", "\"a\nb\"", "\r", "-1", "2147483646", "2147483647", "2147483648", "1000000000", "99999999999999999999", "1;;2", ";", " 3 ",
        "1.5", "train", "TRAIN", "val ", "test", "\uFEFF", "x.wav|y.wav", "|", "||", "../../x.wav", "\u0000", "0", "65535", "\uD800", "é",
    ];

    private static string CsvMutation(Mutator m, string csv)
    {
        var lines = csv.Split('\n').ToList();
        int li = m.Next(lines.Count);
        switch (m.Next(6))
        {
            case 0: lines.RemoveAt(li); break;
            case 1: lines.Insert(m.Next(lines.Count + 1), lines[li]); break;
            case 2: return (m.Chance(0.5) ? "\uFEFF" : "") + csv.Replace("\n", m.Chance(0.5) ? "\r\n" : "\r");
            default:
            {
                var f = lines[li].Split(',');
                f[m.Next(f.Length)] = m.Pick(Fields);
                lines[li] = string.Join(',', m.Chance(0.2) ? f.Append(m.Pick(Fields)) : f);
                break;
            }
        }
        return string.Join('\n', lines);
    }

    [Fact]
    public void MutatedManifestsFailOnlyWithANamedError()
    {
        Fuzzer.Run(line => log.Report(output, line), "manifest", seed: 1302, (m, i) =>
        {
            string csv = m.Pick(Seeds);
            for (int k = 1 + m.Next(2); k > 0; k--) csv = CsvMutation(m, csv);
            var bytes = Encoding.UTF8.GetBytes(csv);
            return new() { ["m.csv"] = m.Chance(0.25) ? m.Bytes(bytes) : bytes };
        }, dir =>
        {
            var manifest = Manifest.Load(Path.Combine(dir, "m.csv"), numClasses: dir.Length % 2 == 0 ? null : 3);
            foreach (var s in manifest.Samples)
            {
                Assert.StartsWith(manifest.Path, s.Where);
                if (manifest.Task != TaskKind.Multilabel) Assert.InRange(s.Label, 0, manifest.NumClasses - 1);
                else Assert.All(s.Labels, l => Assert.InRange(l, 0, manifest.NumClasses - 1));
            }
            Assert.InRange(manifest.NumClasses, 2, int.MaxValue);
            foreach (var split in Manifest.SplitNames)
                if (manifest.Samples.Any(s => s.Split == split)) Assert.NotEmpty(manifest.Split(split));
            manifest.RequireAllClassesInTrain();
        }).RequireShares(accepted: 0.03, rejected: 0.50); // this seed: 7.3 % accepted, 92.7 % rejected
    }
}

using System.IO.Compression;
using System.Security.Cryptography;
using SpeechTok.Tests.Audio;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Training;

public sealed class PackageTests
{
    /// <summary>
    /// A program that references the SpeechTok.Training package must find the built-in LM next to it, as one that
    /// references the project does: the package carries models/builtin-lm as content files copied to the output.
    /// </summary>
    [Fact]
    public void TheTrainingPackageCarriesTheBuiltinLmToItsUsersOutput()
    {
        string root = FixtureRoot.RepoRoot, outDir = Tool.TempDir("pack");
        try
        {
            Tool.Run("dotnet", "pack", Path.Combine(root, "src", "SpeechTok.Training", "SpeechTok.Training.csproj"), "-c", "Release", "--no-build", "-o", outDir, "-nologo", "-v", "quiet");
            using var zip = ZipFile.OpenRead(Assert.Single(Directory.GetFiles(outDir, "SpeechTok.Training.*.nupkg")));
            string nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
            var files = Directory.GetFiles(Path.Combine(root, "models", "builtin-lm"));
            Assert.Contains(files, f => Path.GetFileName(f) == "model.safetensors");
            foreach (var file in files)
            {
                string name = Path.GetFileName(file);
                var entry = zip.GetEntry($"contentFiles/any/any/builtin-lm/{name}");
                Assert.True(entry != null, $"{name} is not in the package");
                using var s = entry.Open();
                Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))), Convert.ToHexString(SHA256.HashData(s)));
                Assert.Contains($"<files include=\"any/any/builtin-lm/{name}\" buildAction=\"None\" copyToOutput=\"true\" />", nuspec);
            }
        }
        finally { Directory.Delete(outDir, true); }
    }
}

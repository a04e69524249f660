using System.IO.Compression;
using System.Security.Cryptography;
using SpeechTok.Tests.Audio;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Training;

public sealed class PackageTests
{
    // pack what this test run was built as (--no-build)
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>
    /// A program that references the SpeechTok.Training package, directly or through SpeechTok.Experiments, must find the
    /// built-in LM next to it, as one that references the project does: the package carries models/builtin-lm and a
    /// buildTransitive targets file that copies it to the output (checked by hand with both kinds of consumer, build and
    /// publish; building one here would need every package restored).
    /// </summary>
    [Fact]
    public void TheTrainingPackageCarriesTheBuiltinLmToItsUsersOutput()
    {
        string root = FixtureRoot.RepoRoot, outDir = Tool.TempDir("pack");
        try
        {
            Tool.Run("dotnet", "pack", Path.Combine(root, "src", "SpeechTok.Training", "SpeechTok.Training.csproj"), "-c", Configuration, "--no-build", "-o", outDir, $"-p:NuspecOutputPath={outDir}/", "-nologo", "-v", "quiet");
            using var zip = ZipFile.OpenRead(Assert.Single(Directory.GetFiles(outDir, "SpeechTok.Training.*.nupkg")));
            var targets = zip.GetEntry("buildTransitive/SpeechTok.Training.targets");
            Assert.True(targets != null, "buildTransitive/SpeechTok.Training.targets is not in the package");
            string text = new StreamReader(targets.Open()).ReadToEnd();
            Assert.Contains("Include=\"$(MSBuildThisFileDirectory)../builtin-lm/*\"", text); // the package's builtin-lm/, seen from buildTransitive/
            Assert.Contains("CopyToOutputDirectory=\"PreserveNewest\"", text);
            var files = Directory.GetFiles(Path.Combine(root, "models", "builtin-lm"));
            Assert.Contains(files, f => Path.GetFileName(f) == "model.safetensors");
            foreach (var file in files)
            {
                string name = Path.GetFileName(file);
                var entry = zip.GetEntry($"builtin-lm/{name}");
                Assert.True(entry != null, $"{name} is not in the package");
                using var s = entry.Open();
                Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))), Convert.ToHexString(SHA256.HashData(s)));
            }
        }
        finally { Directory.Delete(outDir, true); }
    }
}

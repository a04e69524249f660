using System.CommandLine;
using System.CommandLine.Help;
using SpeechTok.Cli;

namespace SpeechTok.Tests.Cli;

/// <summary>The help text: every command, option and argument says what it is, as a sentence.</summary>
public sealed class HelpTests
{
    /// <summary>
    /// lm train's --max-grad-norm, --eval-batch-size and --seed had no description, --serialization said only "compact or
    /// reference.", and bench tokenizer's were lower-case fragments. A description is a sentence: it ends with a full stop
    /// and starts with a capital letter, unless with a value the option takes or a file name ("compact (…) or reference (…).").
    /// </summary>
    [Fact]
    public void Every_command_option_and_argument_has_a_sentence_for_a_description()
    {
        var bad = new List<string>();
        void Check(string what, string? description, string? values)
        {
            string d = description?.Trim() ?? "";
            string first = d.Split(' ', ',', '(')[0];
            bool literal = first.Length > 0 && (values?.Split('|').Contains(first) == true || first.Any(c => c is '.' or '-' or '_' or '`' || char.IsDigit(c)));
            if (d.Length == 0 || !d.EndsWith('.') || !(char.IsUpper(d[0]) || literal)) bad.Add($"{what}: \"{description}\"");
        }
        void Walk(Command command, string path)
        {
            Check(path, command.Description, null);
            foreach (var o in command.Options.Where(o => o is not HelpOption and not VersionOption))
                Check($"{path} {o.Name}", o.Description, o.HelpName);
            foreach (var a in command.Arguments) Check($"{path} <{a.Name}>", a.Description, a.HelpName);
            foreach (var s in command.Subcommands) Walk(s, $"{path} {s.Name}");
        }
        Walk(SpeechTokCommand.Build(), "speechtok");
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    /// <summary>Gradient accumulation was pretrain's --accumulation and lm train's --grad-accum; HF TrainingArguments' name is primary now, the old spellings aliases.</summary>
    [Fact]
    public void Gradient_accumulation_is_named_as_hf_names_it_everywhere_with_the_old_spellings_as_aliases()
    {
        var root = SpeechTokCommand.Build();
        Command Find(params string[] path) => path.Aggregate((Command)root, (c, name) => c.Subcommands.Single(s => s.Name == name));
        foreach (var (command, old) in new[] { (Find("pretrain"), "--accumulation"), (Find("lm", "train"), "--grad-accum") })
        {
            var option = command.Options.Single(o => o.Name == "--gradient-accumulation-steps");
            Assert.Equal([old], option.Aliases);
        }
        Assert.DoesNotContain(root.Subcommands.SelectMany(c => c.Subcommands.Append(c)).SelectMany(c => c.Options), o => o.Name is "--accumulation" or "--grad-accum");
        // an alias is named as typed when its value is refused
        var (code, _, err) = CliRunner.Run("lm", "train", "--train", "t", "--out", "o", "--grad-accum", "0");
        Assert.Equal(2, code);
        Assert.Equal("error: --grad-accum 0: must be at least 1 (see `speechtok lm train --help`)", err.Trim());
    }

    /// <summary>
    /// lm train's --learning-rate was "Unrecognized". HF TrainingArguments' and run_clm.py's names, and config.json's for
    /// the shape, are aliases of lm train's options now, and --learning-rate and --per-device-train-batch-size of finetune's
    /// and pretrain's too, and --num-train-epochs and --early-stopping-patience of theirs; the short names stay primary.
    /// </summary>
    [Fact]
    public void Hf_names_are_aliases_of_the_training_options()
    {
        var root = SpeechTokCommand.Build();
        var hf = new Dictionary<string, string>
        {
            ["--lr"] = "--learning-rate", ["--batch-size"] = "--per-device-train-batch-size", ["--seq-len"] = "--block-size", ["--hidden"] = "--hidden-size",
            ["--layers"] = "--num-hidden-layers", ["--heads"] = "--num-attention-heads", ["--kv-heads"] = "--num-key-value-heads",
            ["--intermediate"] = "--intermediate-size", ["--eval-batch-size"] = "--per-device-eval-batch-size",
        };
        string[] lm = ["lm", "train", "--train", "t", "--out", "o"];
        var parsed = root.Parse([.. lm, .. hf.Values.SelectMany(a => new[] { a, "2" })]);
        Assert.Empty(parsed.Errors);
        Assert.Equal(2.0, parsed.GetValue<double>("--lr"));
        foreach (var name in hf.Keys.Where(n => n != "--lr"))
            Assert.True(parsed.GetResult(parsed.CommandResult.Command.Options.Single(o => o.Name == name))?.Implicit == false, name);
        foreach (var command in new[] { "finetune", "pretrain" })
        {
            var options = root.Subcommands.Single(c => c.Name == command).Options;
            Assert.Equal(["--learning-rate"], options.Single(o => o.Name == "--lr").Aliases);
            Assert.Equal(["--per-device-train-batch-size"], options.Single(o => o.Name == "--batch-size").Aliases);
            Assert.Equal(["--num-train-epochs"], options.Single(o => o.Name == "--epochs").Aliases);
            Assert.Equal(["--early-stopping-patience"], options.Single(o => o.Name == "--patience").Aliases);
        }
    }

    /// <summary>pretrain's --evals-per-epoch said "evaluations per epoch"; it sets an interval counted over the whole run, as HF's eval_steps.</summary>
    [Fact]
    public void Evals_per_epoch_says_it_sets_an_interval_over_the_whole_run()
    {
        string d = SpeechTokCommand.Build().Subcommands.Single(c => c.Name == "pretrain").Options.Single(o => o.Name == "--evals-per-epoch").Description!;
        Assert.Contains("one every floor(updates per epoch / N) updates (at least 1), counted over the whole run", d);
        Assert.Contains("updates after the last evaluation are never kept", d);
    }

    /// <summary>lm train's --eval-batch-size and lm eval's --batch-size said they do not change the result; the loss is summed batch by batch, so the last bits may change (as docs/lm-pretraining.md says).</summary>
    [Fact]
    public void Evaluation_batch_sizes_say_they_may_change_the_last_bits()
    {
        var lm = SpeechTokCommand.Build().Subcommands.Single(c => c.Name == "lm");
        foreach (var (command, option) in new[] { ("train", "--eval-batch-size"), ("eval", "--batch-size") })
        {
            string d = lm.Subcommands.Single(c => c.Name == command).Options.Single(o => o.Name == option).Description!;
            Assert.DoesNotContain("does not change the result", d);
            Assert.Contains("so another size may change the last bits of the result", d);
        }
    }

    /// <summary>The class count was finetune's --num-labels (alias --num-classes) but select's and baseline's --num-classes (alias --num-labels); HF's num_labels is primary everywhere now.</summary>
    [Fact]
    public void Class_count_is_num_labels_everywhere_with_num_classes_as_alias()
    {
        var root = SpeechTokCommand.Build();
        var options = root.Subcommands.SelectMany(c => c.Subcommands.Append(c))
            .SelectMany(c => c.Options.Select(o => (Command: c.Name, Option: o)))
            .Where(x => x.Option.Name is "--num-labels" or "--num-classes" || x.Option.Aliases.Any(a => a is "--num-labels" or "--num-classes"))
            .ToList();
        Assert.Equal(["baseline", "finetune", "select"], options.Select(x => x.Command).Order());
        foreach (var (command, option) in options)
        {
            Assert.True(option.Name == "--num-labels", $"{command}: {option.Name}");
            Assert.Equal(["--num-classes"], option.Aliases);
        }
    }

    /// <summary>
    /// scripts/build-builtin-lm.sh still typed lm train's old --grad-accum. An alias keeps old scripts working, but the
    /// README, docs and scripts show each option's primary name, naming an alias only where they say it is one.
    /// </summary>
    [Fact]
    public void Docs_and_scripts_use_primary_option_names()
    {
        var root = SpeechTokCommand.Build();
        var aliases = Walk(root).SelectMany(c => c.Options).SelectMany(o => o.Aliases).Where(a => a.StartsWith("--")).ToHashSet();
        string repo = SpeechTok.Tests.Conformance.FixtureRoot.RepoRoot;
        var files = Directory.GetFiles(Path.Combine(repo, "docs"), "*.md").Concat(Directory.GetFiles(Path.Combine(repo, "scripts"), "*.sh"))
            .Append(Path.Combine(repo, "README.md"));
        var bad = (from f in files
                   from line in File.ReadLines(f).Select((text, i) => (text, n: i + 1))
                   from a in aliases
                   where System.Text.RegularExpressions.Regex.IsMatch(line.text, $@"{a}(?![\w-])") && !line.text.Contains("alias", StringComparison.OrdinalIgnoreCase)
                   select $"{Path.GetRelativePath(repo, f)}:{line.n}: {a}").ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad));

        static IEnumerable<Command> Walk(Command c) => c.Subcommands.SelectMany(Walk).Prepend(c);
    }
}

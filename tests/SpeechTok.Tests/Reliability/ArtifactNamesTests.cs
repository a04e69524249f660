using System.Reflection;
using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Tests.Reliability;

/// <summary>
/// Every field an artifact writes is declared with its snake_case name: a computed property without
/// <c>[JsonIgnore]</c> (run.json's "InputKind", a message helper) leaked into the file under its C# name.
/// </summary>
public sealed class ArtifactNamesTests
{
    public static TheoryData<string> ArtifactTypes()
    {
        var data = new TheoryData<string>();
        foreach (var t in Types()) data.Add(t.FullName!);
        return data;
    }

    static IEnumerable<Type> Types() =>
        Directory.GetFiles(AppContext.BaseDirectory, "SpeechTok.*.dll")
            .Where(f => !Path.GetFileName(f).StartsWith("SpeechTok.Tests", StringComparison.Ordinal))
            .Select(f => Assembly.Load(AssemblyName.GetAssemblyName(f)))
            .SelectMany(a => a.GetTypes())
            .Where(t => typeof(IArtifact).IsAssignableFrom(t) && !t.IsInterface && !t.IsAbstract)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);

    [Fact]
    public void The_artifact_types_are_found() => Assert.True(Types().Count() >= 15, $"{Types().Count()} artifact types found");

    [Theory]
    [MemberData(nameof(ArtifactTypes))]
    public void Every_serialised_property_has_a_snake_case_json_name(string typeName)
    {
        var seen = new HashSet<Type>();
        Check(Types().Single(t => t.FullName == typeName), seen);
        Assert.NotEmpty(seen);
    }

    /// <summary>Checks <paramref name="type"/> and, through its properties (list elements and dictionary values too), the
    /// project's own types it writes.</summary>
    static void Check(Type type, HashSet<Type> seen)
    {
        if (!seen.Add(type) || type.GetCustomAttribute<JsonConverterAttribute>() != null) return; // a converter writes its own names
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always } || p.GetIndexParameters().Length > 0) continue;
            var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            Assert.True(name != null, $"{type.Name}.{p.Name} is written under its C# name: give it [JsonPropertyName(\"...\")] or [JsonIgnore]");
            Assert.True(name == "C" || System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z][a-z0-9_]*$"), // C: sklearn's name
                $"{type.Name}.{p.Name} is written as \"{name}\", not snake_case");
            foreach (var t in Written(p.PropertyType)) Check(t, seen);
        }
    }

    static IEnumerable<Type> Written(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t.IsArray) return Written(t.GetElementType()!);
        if (t.IsGenericType) return t.GetGenericArguments().SelectMany(Written);
        return t.Namespace?.StartsWith("SpeechTok", StringComparison.Ordinal) == true && !t.IsEnum && !t.IsPrimitive ? [t] : [];
    }
}

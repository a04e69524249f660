using System.Text;

namespace SpeechTok.Audio;

/// <summary>
/// A small RFC 4180 reader (quoted fields, doubled quotes, separators and newlines inside quotes) that
/// keeps the physical line number of each record so that errors can name it. Lines end in LF, CRLF or a lone CR
/// (classic Mac files), as Python's <c>csv</c> module reads them.
/// </summary>
public static class Csv
{
    /// <summary>A field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, quote or newline.</summary>
    public static string Field(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    public readonly record struct Record(int Line, string[] Fields);

    /// <summary>
    /// The column names of <paramref name="header"/> as a reader compares them (<paramref name="name"/>: trimmed, say, or also
    /// lower-cased). A name given twice is refused, naming the file and the column: a reader that took the first would ignore
    /// the other without a word. Empty names (a trailing comma) may repeat.
    /// </summary>
    public static string[] ColumnNames(string path, Record header, Func<string, string> name)
    {
        var names = header.Fields.Select(name).ToArray();
        if (Enumerable.Range(0, names.Length).GroupBy(i => names[i]).FirstOrDefault(g => g.Count() > 1 && g.Key.Length > 0) is { } twice)
        {
            var spellings = twice.Select(i => header.Fields[i]).Distinct().ToList();
            throw new SpeechTokException($"{path}:{header.Line}: column '{twice.Key}' appears {twice.Count()} times in the header" +
                (spellings.Count > 1 ? $" (as {string.Join(", ", spellings.Select(s => $"'{s}'"))})" : "") + "; which one is meant is ambiguous");
        }
        return names;
    }

    /// <summary>
    /// Opens a CSV file as text: UTF-8 (BOM optional), or UTF-16/32 with a BOM. Invalid UTF-8 is refused, naming the line
    /// of the first bad byte, instead of being read as U+FFFD (a Latin-1 file, say, would otherwise change the words silently).
    /// </summary>
    public static TextReader OpenText(string path) => OpenText(File.ReadAllBytes(path), path);

    /// <summary>As <see cref="OpenText(string)"/>, over bytes already read from <paramref name="path"/> (named in errors).</summary>
    public static TextReader OpenText(byte[] bytes, string path)
    {
        bool utf16or32 = bytes.Length >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF))
            || bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0xFE && bytes[3] == 0xFF;
        if (!utf16or32)
        {
            var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
            if (System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out int read, out _, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
            {
                var before = bytes.AsSpan(0, read);
                int line = 1 + before.Count((byte)'\n') + before.Count((byte)'\r') - before.Count("\r\n"u8); // LF, CRLF and lone CR end lines
                throw new SpeechTokException($"{path}:{line}: not valid UTF-8 (byte 0x{bytes[read]:X2} at offset {read}); save the file as UTF-8");
            }
        }
        return new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
    }

    /// <summary>
    /// The records of <paramref name="reader"/>. A quote left open is named where it opened: at the end of the file, and
    /// where a later quote closes it but text follows (the usual sign: the quote of a later row closed it, and the rows in
    /// between were read as one field), instead of the field count that results.
    /// </summary>
    public static IEnumerable<Record> Read(TextReader reader, string file)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, column = 0, recordLine = 1, quoteLine = 0, quoteColumn = 0;
        bool inQuotes = false, fieldStarted = false, any = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            char ch = (char)c;
            column++;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); column++; field.Append('"'); }
                    else
                    {
                        inQuotes = false;
                        // Within one line, text after a closing quote is read on as Python's csv does; across lines it means the
                        // quote was left open.
                        int next = reader.Peek();
                        if (line != quoteLine && next is not (',' or '\r' or '\n' or -1))
                            throw Unterminated(file, quoteLine, quoteColumn,
                                $" (the next quote, at line {line} column {column}, is followed by '{(char)next}', not by a comma or the line end)");
                    }
                }
                else
                {
                    if (ch == '\n' || (ch == '\r' && reader.Peek() != '\n')) { line++; column = 0; }
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when field.Length == 0 && !fieldStarted:
                    inQuotes = true; fieldStarted = true; any = true;
                    (quoteLine, quoteColumn) = (line, column);
                    break;
                case ',':
                    fields.Add(field.ToString()); field.Clear(); fieldStarted = false; any = true;
                    break;
                case '\r':
                case '\n':
                    if (ch == '\r' && reader.Peek() == '\n') reader.Read(); // CRLF is one line end
                    if (any || field.Length > 0)
                    {
                        fields.Add(field.ToString());
                        yield return new Record(recordLine, fields.ToArray());
                    }
                    fields.Clear(); field.Clear(); fieldStarted = false; any = false;
                    line++; column = 0; recordLine = line;
                    break;
                default:
                    field.Append(ch); any = true;
                    break;
            }
        }
        if (inQuotes) throw Unterminated(file, quoteLine, quoteColumn, "");
        if (any || field.Length > 0)
        {
            fields.Add(field.ToString());
            yield return new Record(recordLine, fields.ToArray());
        }
    }

    private static SpeechTokException Unterminated(string file, int line, int column, string detail) =>
        new($"{file}: unterminated quote: the quoted field opened at line {line} (column {column}) is never closed{detail}");
}

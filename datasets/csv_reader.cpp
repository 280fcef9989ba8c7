#include "csv_reader.h"

#include "importers.h"

namespace ember::data::detail {

namespace {

// A read position in one CSV text.
struct CsvCursor {
    const std::string& path;
    const std::string& text;
    size_t i = 0;
    int64_t line = 1;

    bool atLineEnd(size_t p) const { return p >= text.size() || text[p] == '\n' || text[p] == '\r'; }

    void skipLineEnd()
    {
        if (i < text.size() && text[i] == '\r') ++i;
        if (i < text.size() && text[i] == '\n') ++i;
        ++line;
    }

    // A blank (or whitespace-only) line: skipped, true.
    bool skipBlankLine()
    {
        size_t p = i;
        while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
        if (!atLineEnd(p)) return false;
        i = p;
        skipLineEnd();
        return true;
    }

    // The inside of a quoted field, from its opening quote at i.
    std::string quoted()
    {
        std::string out;
        const int64_t quoteLine = line;
        ++i;
        while (true) {
            if (i >= text.size()) throw ImportError(path, quoteLine, "", "quoted field is not closed");
            const char c = text[i++];
            if (c == '"') {
                if (i < text.size() && text[i] == '"') {
                    out += '"';
                    ++i;
                } else
                    return out;
            } else {
                if (c == '\n') ++line;
                out += c;
            }
        }
    }

    std::string field()
    {
        std::string out = i < text.size() && text[i] == '"' ? quoted() : std::string();
        // Unquoted text, or what follows a closing quote (pandas keeps it too).
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') out += text[i++];
        return out;
    }

    std::vector<std::string> record()
    {
        std::vector<std::string> fields{field()};
        while (i < text.size() && text[i] == ',') {
            ++i;   // a separator before the line end: one more (empty) field
            fields.push_back(field());
        }
        if (i < text.size()) skipLineEnd();
        return fields;
    }
};

} // namespace

std::vector<CsvRecord> readCsvRecords(const std::string& path, const std::string& text)
{
    CsvCursor at{path, text};
    at.i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    std::vector<CsvRecord> records;
    while (at.i < text.size()) {
        if (at.skipBlankLine()) continue;
        const int64_t line = at.line;
        records.push_back({line, at.record()});
    }
    return records;
}

} // namespace ember::data::detail

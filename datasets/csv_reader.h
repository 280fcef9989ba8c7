#pragma once
// CSV records as pandas.read_csv splits them by default (RFC 4180, internal to datasets/): ","
// between fields, quoted fields with "" for a quote and commas or line breaks inside, CRLF or LF
// line ends, blank lines skipped, a UTF-8 byte order mark ignored.
#include <cstdint>
#include <string>
#include <vector>

namespace ember::data::detail {

struct CsvRecord {
    int64_t line = 0;   // where the record starts, from 1
    std::vector<std::string> fields;
};

// Every record, the header row included; ImportError (path and line) for a quoted field that
// is never closed.
std::vector<CsvRecord> readCsvRecords(const std::string& path, const std::string& text);

} // namespace ember::data::detail

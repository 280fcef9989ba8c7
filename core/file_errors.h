#pragma once
// The messages the state-dict readers throw: the file's path, then one sentence; names taken
// from the file are made printable first. Internal to the zip, pickle and PyTorch readers.
#include "printable.h"

#include <stdexcept>
#include <string>

namespace ember {

[[noreturn]] inline void fail(const std::string& path, const std::string& what)
{
    throw std::runtime_error(path + ": " + what);
}

// A name or key from the file, safe and short enough to put in a message.
inline std::string quoted(const std::string& s)
{
    return printableText(s.size() > 200 ? s.substr(0, 200) + "..." : s);
}

} // namespace ember

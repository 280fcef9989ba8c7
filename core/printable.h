#pragma once
// Text from files or from a model, made safe to print on a terminal. No torch, no Qt.
#include <string>

namespace ember {

// Control bytes other than newline and tab (an ANSI escape, a bell, DEL) become U+FFFD, so text
// is shown, never obeyed, by a terminal. Everything else, UTF-8 included, is kept.
std::string printableText(const std::string& text);

} // namespace ember

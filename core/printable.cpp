#include "printable.h"

namespace ember {

std::string printableText(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f)
            out += "\xEF\xBF\xBD";
        else
            out += c;
    }
    return out;
}

} // namespace ember

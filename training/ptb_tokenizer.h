#pragma once
// pycocoevalcap's PTBTokenizer step, and the Python text helpers the scorers share. Torch-free.
#include <string>
#include <vector>

namespace ember::train {

// Stanford PTBTokenizer 3.4.1 as pycocoevalcap runs it (-preserveLines -lowerCase), emulated:
// the raw tokens of one text, before lower-casing and punctuation removal. Every rule of its
// lexer that English text meets (words, clitics, n't, numbers, dates, fractions, phone numbers,
// abbreviations, acronyms, URLs, e-mail, SGML tags, quotes, brackets as -LRB-, dashes, ellipses,
// smileys, symbols); HTML entities other than &amp; &lt; &gt; &quot; &nbsp; &mdash; &ndash; are left as text, and
// letters outside Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Devanagari and CJK count as
// untokenizable (dropped, as the lexer drops what it cannot tokenize).
std::vector<std::string> ptbRawTokens(const std::string& text);

// pycocoevalcap's tokenizer step over captions in its order: each caption's tokens, lower-cased,
// without its PUNCTUATIONS tokens, joined by single spaces. The captions are lexed as one text,
// one line each, as the Java process sees them (a caption's last token can depend on the next
// line). A line break inside a caption counts as a space: ptbtokenizer.py replaces '\n' so; a
// '\r', '\v', '\f', U+2028 or U+2029 would end a line for Java and shift every later caption.
std::vector<std::string> ptbTokenizeCaptions(const std::vector<std::string>& captions);
std::string ptbTokenize(const std::string& caption);

// Text helpers shared with the VQA evaluation (Python's semantics on UTF-8 text).
std::vector<std::string> pythonSplit(const std::string& s);   // str.split(): any Unicode white space
std::string pythonStrip(const std::string& s);                 // str.strip()
std::string lowerCased(const std::string& s);                  // Latin, Greek and Cyrillic letters

} // namespace ember::train

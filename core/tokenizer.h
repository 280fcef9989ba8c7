#pragma once
// GPT-2 byte-level BPE with EmberVLM's five special tokens (MODEL.md, "Tokenizer").
// No torch, no Qt: usable from every layer.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class Tokenizer {
public:
    static constexpr int kEndOfText = 50256;        // also the padding id
    static constexpr int kReasoningStart = 50257;
    static constexpr int kReasoningEnd = 50258;
    static constexpr int kRobotSelection = 50259;
    static constexpr int kActionPlan = 50260;
    static constexpr int kImage = 50261;
    static constexpr int kVocabSize = 50262;

    // Loads GPT-2's encoder.json and vocab.bpe; throws std::runtime_error naming the file on failure.
    static std::shared_ptr<const Tokenizer> fromFiles(const std::string& encoderJsonPath,
                                                      const std::string& vocabBpePath);
    // The tokenizer from the default data folder (see dataDir()); loaded once, thread-safe.
    static std::shared_ptr<const Tokenizer> shared();
    // Where encoder.json / vocab.bpe are looked for: $EMBERVLM_DATA_DIR, then
    // <executable dir>/../share/embervlm, then the build tree's copy.
    static std::string dataDir();

    // Special tokens (and <|endoftext|>) are matched as whole strings first; the rest goes
    // through GPT-2's pre-tokenizer regex and BPE. Invalid UTF-8 bytes are kept as single-byte
    // pieces, so decode(encode(s)) == s for any byte string.
    std::vector<int> encode(std::string_view text) const;
    // Concatenated bytes of the ids (may end inside a UTF-8 sequence when streaming).
    std::string decode(const std::vector<int>& ids) const;
    // The bytes one id stands for ("" for an out-of-range id).
    std::string tokenBytes(int id) const;
    int vocabSize() const { return kVocabSize; }

    ~Tokenizer();
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

private:
    Tokenizer();
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace ember

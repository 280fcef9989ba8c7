#include "content_hash.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace ember::data {

namespace {

// OpenSSL's SHA-256 (libcrypto): the one implementation in the project.
std::array<uint8_t, 32> sha256(const void* data, size_t bytes)
{
    std::array<uint8_t, 32> out{};
    unsigned int len = 0;
    if (EVP_Digest(data, bytes, out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
        throw std::runtime_error("SHA-256 failed (OpenSSL)");
    return out;
}

} // namespace

std::string sha256Hex(const void* data, size_t bytes)
{
    static const char* hex = "0123456789abcdef";
    std::string s;
    s.reserve(64);
    for (uint8_t b : sha256(data, bytes)) {
        s += hex[b >> 4];
        s += hex[b & 15];
    }
    return s;
}

uint64_t hash64(const std::string& s)
{
    const auto d = sha256(s.data(), s.size());
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | d[i];
    return v;
}

} // namespace ember::data

#pragma once
// Content hashes: SHA-256 (hex) of image bytes identifies an image across folders and
// workspaces, drives duplicate detection and the deterministic split assignment.
#include <cstddef>
#include <cstdint>
#include <string>

namespace ember::data {

std::string sha256Hex(const void* data, size_t bytes);
inline std::string sha256Hex(const std::string& s) { return sha256Hex(s.data(), s.size()); }
// First 8 bytes of the SHA-256 as a number: uniform, so usable for bucketing.
uint64_t hash64(const std::string& s);

} // namespace ember::data

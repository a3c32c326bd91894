// The CR/LF/NUL scan, eight bytes at a time: it runs over every value the proxy writes into a
// relayed head.
#include "core/header_value.hpp"

#include <cstdint>
#include <cstring>

namespace aic {
namespace {

constexpr std::uint64_t every_byte = 0x0101010101010101ULL;  // times c: c in each byte

// Whether any byte of `word` equals the byte repeated in `pattern` (the classic zero-byte test
// applied to word ^ pattern; it has no false positives when used as a yes/no answer).
constexpr bool has_byte(std::uint64_t word, std::uint64_t pattern) noexcept {
    constexpr std::uint64_t highs = every_byte * 0x80;
    std::uint64_t const x = word ^ pattern;
    return ((x - every_byte) & ~x & highs) != 0;
}

// Whether any byte of `word` is below `n` (n <= 128; exact as a yes/no answer, like has_byte).
constexpr bool has_byte_below(std::uint64_t word, std::uint64_t n) noexcept {
    constexpr std::uint64_t highs = every_byte * 0x80;
    return ((word - every_byte * n) & ~word & highs) != 0;
}

// NUL, LF and CR are all below 14, and so is nothing else a header value usually holds (a tab,
// 9, is the exception): one test clears most words, and only a word that fails it gets the
// three exact ones.
constexpr bool has_break_or_nul(std::uint64_t word) noexcept {
    if (!has_byte_below(word, '\r' + 1)) return false;
    return has_byte(word, 0) || has_byte(word, every_byte * '\r') || has_byte(word, every_byte * '\n');
}

}  // namespace

bool header_value_safe(std::string_view value) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= value.size(); i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, value.data() + i, sizeof word);
        if (has_break_or_nul(word)) return false;
    }
    if (i == value.size()) return true;
    // The last few bytes, padded with a byte that is none of the three.
    std::uint64_t word = every_byte * 'a';
    std::memcpy(&word, value.data() + i, value.size() - i);
    return !has_break_or_nul(word);
}

}  // namespace aic

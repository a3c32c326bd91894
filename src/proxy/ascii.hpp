// ASCII case folding for the case-insensitive parts of HTTP (field names, host names, tokens),
// independent of any locale; one copy for the request checks and the head writers.
#pragma once

#include <string_view>

namespace aic::proxy::ascii {

constexpr char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

}  // namespace aic::proxy::ascii

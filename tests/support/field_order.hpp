// Field lists and heads put in one order for comparison, when they may differ only in order.
// Beast's fields put a field next to the earlier ones of the same name (case-insensitively);
// the relay's parser keeps the upstream's order. Both keep the order among fields of one name,
// the only order HTTP gives meaning to (RFC 9110 section 5.3). These sort a list of fields, or
// the field lines of a head, by name (stably), so two such lists compare equal when they differ
// only in that.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace aic::test {

inline std::string lower_name(std::string_view name) {
    std::string out{name};
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// `name_of(entry)` gives an entry's field name.
template <class Entry, class NameOf>
void group_by_name(std::vector<Entry>& entries, NameOf name_of) {
    std::stable_sort(entries.begin(), entries.end(), [&](Entry const& a, Entry const& b) {
        return lower_name(name_of(a)) < lower_name(name_of(b));
    });
}

// A head's text with its field lines grouped by name; the start line and the end stay.
inline std::string group_field_lines(std::string_view head) {
    std::size_t const first_end = head.find("\r\n");
    std::size_t const fields_end = head.find("\r\n\r\n");
    if (first_end == std::string_view::npos || fields_end == std::string_view::npos ||
        fields_end <= first_end)
        return std::string{head};
    std::vector<std::string_view> lines;
    for (std::size_t at = first_end + 2; at < fields_end + 2;) {
        std::size_t const end = head.find("\r\n", at);
        lines.push_back(head.substr(at, end - at));
        at = end + 2;
    }
    group_by_name(lines, [](std::string_view line) { return line.substr(0, line.find(':')); });
    std::string out{head.substr(0, first_end + 2)};
    for (auto const line : lines) out.append(line).append("\r\n");
    out.append(head.substr(fields_end + 2));
    return out;
}

}  // namespace aic::test

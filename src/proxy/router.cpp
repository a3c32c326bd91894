#include "proxy/router.hpp"

#include <algorithm>
#include <utility>

namespace aic::proxy {

router::router(std::vector<std::string> prefixes) {
    entries_.reserve(prefixes.size());
    for (std::size_t i = 0; i < prefixes.size(); ++i) {
        std::string p = std::move(prefixes[i]);
        while (!p.empty() && p.back() == '/') p.pop_back();
        entries_.push_back({std::move(p), i});
    }
    // Stable: of two equal prefixes the one configured first wins.
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](entry const& a, entry const& b) { return a.prefix.size() > b.prefix.size(); });
}

std::optional<std::size_t> router::match(std::string_view path) const {
    if (path.empty() || path.front() != '/') return std::nullopt;
    for (auto const& e : entries_) {
        if (!path.starts_with(e.prefix)) continue;
        if (path.size() == e.prefix.size()) return e.index;
        char const next = path[e.prefix.size()];
        // ';' too: servlet containers drop "/secrets;x" matrix parameters before routing.
        if (next == '/' || next == '?' || next == ';') return e.index;
    }
    return std::nullopt;
}

bool is_local_path(std::string_view path) {
    constexpr std::string_view local = "/_proxy";
    if (!path.starts_with(local)) return false;
    return path.size() == local.size() || path[local.size()] == '/' || path[local.size()] == '?';
}

}  // namespace aic::proxy

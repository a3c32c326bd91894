// Route selection: longest configured prefix that matches on a segment boundary.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aic::proxy {

class router {
public:
    // Prefixes as configured ("/am", no trailing '/'; "" or "/" is a catch-all).
    explicit router(std::vector<std::string> prefixes);

    // "/am" matches "/am", "/am/", "/am/x", "/am?q", "/am;p" but not "/amx". Returns the index of the
    // route in the vector given to the constructor; the longest matching prefix wins.
    std::optional<std::size_t> match(std::string_view path) const;

private:
    struct entry {
        std::string prefix;
        std::size_t index;
    };
    std::vector<entry> entries_;  // longest prefix first
};

// "/_proxy" or "/_proxy/...": the proxy's own endpoints, never forwarded.
bool is_local_path(std::string_view path);

}  // namespace aic::proxy

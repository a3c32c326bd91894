// Shared between logging.cpp and access_log.cpp; not part of the ops interface.
#pragma once

#include <spdlog/logger.h>

#include <cstdio>
#include <memory>
#include <string_view>

namespace aic::ops::detail {

// setup_logging() publishes the "access" logger (or nullptr when access logging is off) so
// log_access() avoids the spdlog registry's mutex on every request.
void set_access_logger(std::shared_ptr<spdlog::logger> logger, bool json);

// Appends `s` as the inside of a JSON string. Bytes >= 0x80 pass through unchanged (UTF-8).
template <class Buffer>
void append_json_escaped(Buffer& out, std::string_view s) {
    std::size_t run = 0;  // start of the pending unescaped run
    auto flush = [&](std::size_t end) {
        if (end > run) out.append(s.data() + run, s.data() + end);
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        flush(i);
        run = i + 1;
        char esc[8] = {'\\', 0, 0, 0, 0, 0, 0, 0};
        std::size_t n = 2;
        switch (c) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default: std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c)); n = 6;
        }
        out.append(esc, esc + n);
    }
    flush(s.size());
}

}  // namespace aic::ops::detail

// log_access(): one line per request on the "access" logger, text or a JSON object.
#include "ops/access_log.hpp"

#include "ops/log_internal.hpp"

#include <spdlog/fmt/fmt.h>

#include <atomic>
#include <iterator>

namespace aic::ops {

namespace {

struct access_state {
    std::shared_ptr<spdlog::logger> logger;
    bool json = false;
};

std::atomic<std::shared_ptr<access_state const>> current_state;

// Request ids and paths come from the client: quote and backslash are escaped and anything
// outside printable ASCII is hex-escaped, so a request cannot forge or split access-log lines.
void append_text_safe(fmt::memory_buffer& out, std::string_view s) {
    constexpr char hex[] = "0123456789abcdef";
    for (char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out.push_back(ch);
        } else if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(ch);
        } else {
            char const esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 0xf]};
            out.append(esc, esc + 4);
        }
    }
}

double to_ms(std::chrono::nanoseconds d) {
    return static_cast<double>(d.count()) / 1e6;
}

}  // namespace

namespace detail {

void set_access_logger(std::shared_ptr<spdlog::logger> logger, bool json) {
    if (!logger) {
        current_state.store(nullptr);
        return;
    }
    current_state.store(std::make_shared<access_state const>(access_state{std::move(logger), json}));
}

}  // namespace detail

void log_access(access_record const& r) {
    auto const state = current_state.load(std::memory_order_acquire);
    if (!state || !state->logger->should_log(spdlog::level::info)) return;

    fmt::memory_buffer buf;
    auto out = std::back_inserter(buf);
    if (state->json) {
        auto field = [&](std::string_view name, std::string_view value) {
            fmt::format_to(out, R"("{}":")", name);
            detail::append_json_escaped(buf, value);
            buf.push_back('"');
        };
        buf.push_back('{');
        field("request_id", r.request_id);
        buf.push_back(',');
        field("method", r.method);
        buf.push_back(',');
        field("path", r.path);
        fmt::format_to(out, R"(,"status":{},)", r.status);
        field("route", r.route);
        fmt::format_to(out, R"(,"in":{},"out":{},"dur_ms":{:.1f},"upstream_ms":{:.1f}}})", r.bytes_in,
                       r.bytes_out, to_ms(r.duration), to_ms(r.upstream_time));
    } else {
        append_text_safe(buf, r.request_id);
        buf.append(std::string_view(" \""));
        append_text_safe(buf, r.method);
        buf.push_back(' ');
        append_text_safe(buf, r.path);
        fmt::format_to(out, "\" {} route=", r.status);
        append_text_safe(buf, r.route);
        fmt::format_to(out, " in={} out={} dur_ms={:.1f} upstream_ms={:.1f}", r.bytes_in, r.bytes_out,
                       to_ms(r.duration), to_ms(r.upstream_time));
    }
    state->logger->log(spdlog::level::info, spdlog::string_view_t(buf.data(), buf.size()));
}

}  // namespace aic::ops

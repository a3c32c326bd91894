// The tuning sections: timeouts, limits, tokens, security and logging. Every key is optional;
// absent keys keep config.hpp's defaults.
#include "config/sections.hpp"
#include "core/header_value.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <cctype>

namespace aic::config::detail {
namespace {

constexpr std::uint64_t one_day_ms = 24ull * 3600 * 1000;

void read_ms(object_reader const& r, std::string_view key, milliseconds& out, std::uint64_t min = 1) {
    if (auto v = r.optional_integer(key, min, one_day_ms))
        out = milliseconds{static_cast<milliseconds::rep>(*v)};
}

template <class Int>
void read_int(object_reader const& r, std::string_view key, Int& out, std::uint64_t min, std::uint64_t max) {
    if (auto v = r.optional_integer(key, min, max)) out = static_cast<Int>(*v);
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool header_name_ok(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
    });
}

}  // namespace

timeouts parse_timeouts(object_reader const& r) {
    r.allow_only({"connect_ms", "tls_handshake_ms", "upstream_response_ms", "token_request_ms",
                  "token_wait_ms", "header_read_ms", "idle_ms", "body_io_ms", "drain_ms",
                  "upstream_idle_ms"});
    timeouts t;
    read_ms(r, "connect_ms", t.connect);
    read_ms(r, "tls_handshake_ms", t.tls_handshake);
    read_ms(r, "upstream_response_ms", t.upstream_response);
    read_ms(r, "token_request_ms", t.token_request);
    read_ms(r, "token_wait_ms", t.token_wait);
    read_ms(r, "header_read_ms", t.header_read);
    read_ms(r, "idle_ms", t.idle);
    read_ms(r, "body_io_ms", t.body_io);
    read_ms(r, "drain_ms", t.drain, 0);  // 0: stop at once
    read_ms(r, "upstream_idle_ms", t.upstream_idle);
    return t;
}

limits parse_limits(object_reader const& r) {
    r.allow_only({"max_header_bytes", "max_body_bytes", "max_connections", "max_requests_per_connection",
                  "replay_body_bytes", "upstream_pool_size", "buffer_bytes"});
    constexpr std::uint64_t u32 = 0xffffffffu;
    limits l;
    read_int(r, "max_header_bytes", l.max_header_bytes, 1024, 1024 * 1024);
    read_int(r, "max_body_bytes", l.max_body_bytes, 0, ~std::uint64_t{0});
    read_int(r, "max_connections", l.max_connections, 1, 1000000);
    read_int(r, "max_requests_per_connection", l.max_requests_per_connection, 1, u32);
    read_int(r, "replay_body_bytes", l.replay_body_bytes, 0, 64 * 1024 * 1024);
    read_int(r, "upstream_pool_size", l.upstream_pool_size, 0, 10000);
    read_int(r, "buffer_bytes", l.buffer_bytes, 1024, 16 * 1024 * 1024);
    return l;
}

token_settings parse_tokens(object_reader const& r) {
    r.allow_only({"refresh_fraction", "refresh_min_margin_s", "backoff_initial_ms", "backoff_max_ms",
                  "assertion_lifetime_s", "forced_refresh_interval_s"});
    token_settings t;
    if (auto f = r.optional_number("refresh_fraction", 0.0, 0.5)) t.refresh_fraction = *f;
    if (auto s = r.optional_integer("refresh_min_margin_s", 0, 3600))
        t.refresh_min_margin = seconds{static_cast<seconds::rep>(*s)};
    read_ms(r, "backoff_initial_ms", t.backoff_initial);
    read_ms(r, "backoff_max_ms", t.backoff_max);
    if (t.backoff_max < t.backoff_initial) {
        if (r.has("backoff_max_ms")) fail(r.at("backoff_max_ms"), "must not be less than backoff_initial_ms");
        fail(r.at("backoff_initial_ms"), "exceeds backoff_max_ms (default 60000)");
    }
    // AM refuses a JWT bearer assertion that lives longer than 30 minutes.
    if (auto s = r.optional_integer("assertion_lifetime_s", 10, 1800))
        t.assertion_lifetime = seconds{static_cast<seconds::rep>(*s)};
    // Not 0: without a bound, any local client can make the proxy fetch a token per request.
    if (auto s = r.optional_integer("forced_refresh_interval_s", 1, 3600))
        t.forced_refresh_interval = seconds{static_cast<seconds::rep>(*s)};
    return t;
}

security parse_security(object_reader const& r, secret_context const& ctx) {
    r.allow_only({"allowed_hosts", "allowed_origins", "required_header", "refuse_forwarded", "read_only",
                  "client_key_file", "client_key"});
    security s;
    if (auto hosts = r.optional_string_array("allowed_hosts")) {
        if (hosts->empty()) fail(r.at("allowed_hosts"), "an empty list would refuse every request");
        for (std::size_t i = 0; i < hosts->size(); ++i) {
            auto& h = (*hosts)[i];
            bool const bracketed = h.starts_with('[') && h.ends_with(']');
            if (h.empty() || h.find_first_of("/ \t") != std::string::npos ||
                (!bracketed && h.find(':') != std::string::npos))
                fail(r.at("allowed_hosts").index(i),
                     "expected a host name without a port (IPv6 in brackets: \"[::1]\")");
            h = lower(std::move(h));
        }
        s.allowed_hosts = std::move(*hosts);
    }
    if (auto origins = r.optional_string_array("allowed_origins")) {
        for (std::size_t i = 0; i < origins->size(); ++i) {
            auto const& o = (*origins)[i];
            auto const rest = o.starts_with("https://")  ? o.substr(8)
                              : o.starts_with("http://") ? o.substr(7)
                                                         : std::string{};
            if (rest.empty() || rest.find_first_of("/ \t?#") != std::string::npos)
                fail(r.at("allowed_origins").index(i),
                     "expected an origin such as \"http://localhost:3000\" (scheme, host, optional port; no "
                     "path)");
        }
        s.allowed_origins = std::move(*origins);
    }
    if (auto header = r.optional_object("required_header")) {
        header->allow_only({"name", "value"});
        auto name = header->required_string("name");
        if (!header_name_ok(name)) fail(header->at("name"), "not a valid header name");
        auto value = header->required_string("value");
        if (value.empty() || !header_value_safe(value))
            fail(header->at("value"), "must be non-empty, without CR, LF or NUL");
        s.required_header = std::pair{std::move(name), std::move(value)};
    }
    if (auto v = r.optional_bool("refuse_forwarded")) s.refuse_forwarded = *v;
    if (auto v = r.optional_bool("read_only")) s.read_only = *v;
    if (r.has("client_key_file") && r.has("client_key"))
        fail(r.at("client_key"), "give either client_key_file or client_key, not both");
    if (auto file = r.optional_string("client_key_file")) {
        auto const path = resolve_secret_path(*file, r.at("client_key_file"), ctx);
        s.client_key = read_secret_file(path, r.at("client_key_file"), ctx, trim::trailing_newlines);
        s.client_key_file = path.string();
    } else if (auto ref = r.optional_string("client_key")) {
        s.client_key =
            secret_from_reference(std::move(*ref), r.at("client_key"), ctx.env, trim::trailing_newlines);
    }
    return s;
}

logging_settings parse_logging(object_reader const& r) {
    r.allow_only({"level", "format", "access_log"});
    logging_settings l;
    if (auto level = r.optional_string("level")) {
        static constexpr std::string_view levels[] = {"trace", "debug",    "info", "warn",
                                                      "error", "critical", "off"};
        if (std::find(std::begin(levels), std::end(levels), *level) == std::end(levels))
            fail(r.at("level"), R"(expected "trace", "debug", "info", "warn", "error", "critical" or "off")");
        l.level = *level;
    }
    if (auto format = r.optional_string("format")) {
        if (*format == "text")
            l.fmt = logging_settings::format::text;
        else if (*format == "json")
            l.fmt = logging_settings::format::json;
        else
            fail(r.at("format"), R"(expected "text" or "json")");
    }
    if (auto v = r.optional_bool("access_log")) l.access_log = *v;
    return l;
}

}  // namespace aic::config::detail

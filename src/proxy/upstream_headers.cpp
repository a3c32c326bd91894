#include "proxy/upstream_headers.hpp"

#include <algorithm>
#include <array>

namespace aic::proxy {
namespace {

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// True when any Connection header lists `name` as one of its comma-separated options. Scans
// in place instead of collecting the options, so no allocation per request.
template <class Fields>
bool named_by_connection(Fields const& fields, std::string_view name) {
    auto const range = fields.equal_range(http::field::connection);
    for (auto it = range.first; it != range.second; ++it) {
        std::string_view list = it->value();
        while (!list.empty()) {
            std::size_t const comma = list.find(',');
            if (iequals(trim(list.substr(0, comma)), name)) return true;
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    return false;
}

// The options the Connection headers name, collected once per message instead of once per field
// (views into the fields, no allocation). Past `max_kept` options it falls back to the scan.
template <class Fields>
class connection_options {
public:
    explicit connection_options(Fields const& fields) : fields_(fields) {
        auto const range = fields.equal_range(http::field::connection);
        for (auto it = range.first; it != range.second; ++it) {
            std::string_view list = it->value();
            while (!list.empty()) {
                std::size_t const comma = list.find(',');
                if (auto const option = trim(list.substr(0, comma)); !option.empty()) {
                    if (count_ == max_kept) {
                        overflow_ = true;
                        return;
                    }
                    kept_[count_++] = option;
                }
                if (comma == std::string_view::npos) break;
                list.remove_prefix(comma + 1);
            }
        }
    }

    bool names(std::string_view name) const {
        if (overflow_) return named_by_connection(fields_, name);
        for (std::size_t i = 0; i < count_; ++i)
            if (iequals(kept_[i], name)) return true;
        return false;
    }

private:
    static constexpr std::size_t max_kept = 8;
    Fields const& fields_;
    std::array<std::string_view, max_kept> kept_{};
    std::size_t count_ = 0;
    bool overflow_ = false;
};

// Hop-by-hop by name, or named by Connection. Framing headers are never dropped because a
// Connection header named them: that would turn a body into the next request.
template <class Fields>
bool is_hop_by_hop(connection_options<Fields> const& named, http::field f, std::string_view name) {
    switch (f) {
        case http::field::connection:
        case http::field::keep_alive:
        case http::field::te:
        case http::field::trailer:
        case http::field::upgrade:
        case http::field::proxy_connection:
        case http::field::proxy_authenticate:
        case http::field::proxy_authorization: return true;
        case http::field::content_length:
        case http::field::transfer_encoding: return false;
        default: break;
    }
    if (name.size() >= 6 && iequals(name.substr(0, 6), "proxy-")) return true;
    return named.names(name);
}

bool dropped_request_field(http::field f, std::string_view name) {
    switch (f) {
        case http::field::host:
        case http::field::authorization:
        case http::field::cookie:
        case http::field::expect:
        case http::field::forwarded: return true;
        default: break;
    }
    return iequals(name, "X-Proxy-Key") || iequals(name, "X-Forwarded-For") ||
           iequals(name, "X-Forwarded-Proto") || iequals(name, "X-Forwarded-Host") ||
           iequals(name, "X-Request-Id");
}

bool set_by_proxy(std::string_view name, config::route const& route,
                  auth::injected_headers const& credentials) {
    for (auto const& h : route.headers)
        if (iequals(h.first, name)) return true;
    for (auto const& h : credentials.fields)
        if (iequals(h.first, name)) return true;
    return false;
}

}  // namespace

void build_upstream_head(http::request_header<> const& in, std::string_view origin_form_target,
                         forward_context const& ctx, config::route const& route,
                         auth::injected_headers const& credentials, http::request_header<>& out) {
    out = http::request_header<>{};
    if (in.method() == http::verb::unknown)
        out.method_string(in.method_string());
    else
        out.method(in.method());
    out.target(origin_form_target);
    out.version(11);

    connection_options const named{in};
    for (auto const& f : in) {
        std::string_view const name = f.name_string();
        if (dropped_request_field(f.name(), name)) continue;
        if (is_hop_by_hop(named, f.name(), name)) continue;
        if (set_by_proxy(name, route, credentials)) continue;
        out.insert(f.name(), name, f.value());
    }

    out.set(http::field::host, ctx.upstream_authority);
    if (!ctx.client_ip.empty()) out.set("X-Forwarded-For", ctx.client_ip);
    out.set("X-Forwarded-Proto", "http");
    if (!ctx.client_host.empty()) out.set("X-Forwarded-Host", ctx.client_host);
    for (auto const& [name, value] : route.headers) out.insert(name, value);
    for (auto const& [name, value] : credentials.fields) out.insert(name, value.reveal());
    out.set("X-Request-Id", ctx.request_id);
}

void strip_hop_by_hop_response(http::response_header<>& res) {
    // Decide on the original head first: erasing Connection early would forget what it named.
    connection_options const named{res};
    auto it = res.begin();
    while (it != res.end()) {
        if (it->name() != http::field::connection && is_hop_by_hop(named, it->name(), it->name_string()))
            it = res.erase(it);
        else
            ++it;
    }
    res.erase(http::field::connection);
}

}  // namespace aic::proxy

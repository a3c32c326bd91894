// The header filtering and wire text of both heads the proxy relays: client to upstream, upstream to
// client.
#include "proxy/upstream_headers.hpp"

#include "core/header_value.hpp"
#include "proxy/ascii.hpp"
#include "proxy/head_fields.hpp"
#include "proxy/response_parser.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace aic::proxy {
namespace {

using ascii::iequals;

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Calls `visit` with each option the Connection fields list (comma-separated, trimmed, empty
// ones skipped), in order, until it returns true; returns whether one did. Scans in place, so no
// allocation per request. The Connection fields are found by walking the head's fields in order
// rather than with equal_range: a head has a handful of fields, each with its name already
// classified, while the lookup compares names as strings down Beast's tree (about 500
// instructions per response).
template <class Fields, class Visit>
bool find_connection_option(Fields const& fields, Visit visit) {
    for (auto const& field : fields) {
        if (field.name() != http::field::connection) continue;
        std::string_view list = field.value();
        while (!list.empty()) {
            std::size_t const comma = list.find(',');
            if (auto const option = trim(list.substr(0, comma)); !option.empty() && visit(option))
                return true;
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
        overflow_ = find_connection_option(fields, [this](std::string_view option) {
            if (count_ == max_kept) return true;
            kept_[count_++] = option;
            return false;
        });
    }

    bool names(std::string_view name) const {
        if (overflow_)
            return find_connection_option(fields_,
                                          [name](std::string_view option) { return iequals(option, name); });
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
    for (auto const& h : credentials.fields())
        if (iequals(h.first, name)) return true;
    return false;
}

// "name: value\r\n", as it is: the caller has made sure the value cannot split the head.
void append_checked_field(std::string& out, std::string_view name, std::string_view value) {
    std::size_t const at = out.size();
    out.resize(at + name.size() + value.size() + 4);
    char* p = out.data() + at;
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = ':';
    *p++ = ' ';
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
    p += value.size();
    *p++ = '\r';
    *p = '\n';
}

// Header values come from parsers that refuse CR/LF and from the validated config; a value that
// still carries a line break is left out rather than split the head.
// One growth of `out` (whose capacity the session keeps between requests) per field rather than
// four appends, each checking capacity: this runs a dozen times per request.
void append_field(std::string& out, std::string_view name, std::string_view value) {
    if (header_value_safe(value)) append_checked_field(out, name, value);
}

}  // namespace

template <class Fields>
void write_upstream_head(http::header<true, Fields> const& in, std::string_view origin_form_target,
                         forward_context const& ctx, config::route const& route,
                         auth::injected_headers const& credentials, std::string& out) {
    out.append(in.method_string()).append(" ").append(origin_form_target).append(" HTTP/1.1\r\n");

    connection_options const named{in};
    for (auto const& f : in) {
        std::string_view const name = f.name_string();
        if (dropped_request_field(f.name(), name)) continue;
        if (is_hop_by_hop(named, f.name(), name)) continue;
        if (set_by_proxy(name, route, credentials)) continue;
        append_field(out, name, f.value());
    }

    append_field(out, "Host", ctx.upstream_authority);
    if (!ctx.client_ip.empty()) append_field(out, "X-Forwarded-For", ctx.client_ip);
    append_field(out, "X-Forwarded-Proto", "http");
    if (!ctx.client_host.empty()) append_field(out, "X-Forwarded-Host", ctx.client_host);
    for (auto const& [name, value] : route.headers) append_field(out, name, value);
    // Checked once, when the token arrived (injected_headers::add).
    for (auto const& [name, value] : credentials.fields()) append_checked_field(out, name, value.reveal());
    append_field(out, "X-Request-Id", ctx.request_id);
    out.append("\r\n");
}

template <class Head>
void write_client_response_head(Head const& res, std::string_view request_id, client_framing const& framing,
                                std::string& out) {
    out.append(framing.version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    char code[4] = {};
    unsigned const status = res.result_int();
    code[0] = static_cast<char>('0' + status / 100 % 10);
    code[1] = static_cast<char>('0' + status / 10 % 10);
    code[2] = static_cast<char>('0' + status % 10);
    out.append(code, 3).append(" ");
    std::string_view const reason = res.reason();
    out.append(reason.empty() ? std::string_view{http::obsolete_reason(res.result())} : reason)
        .append("\r\n");

    // RFC 9110 §8.6, RFC 9112 §6.1: a server must not send Content-Length or Transfer-Encoding in
    // a 1xx or 204, which never has a body; an upstream that does is not echoed. (A 304 may keep
    // Content-Length: the length a 200 would have had.)
    bool const no_content = status == 204 || status / 100 == 1;
    // Both are rare: a field pays one test for them.
    bool const drop_framing = no_content || framing.drop_transfer_encoding;

    // Decided on the upstream's own Connection header: it names the fields that go with it.
    connection_options const named{res};
    for (auto const& f : res) {
        std::string_view const name = f.name_string();
        if (f.name() == http::field::connection || is_hop_by_hop(named, f.name(), name)) continue;
        if (iequals(name, "X-Request-Id")) continue;
        if (drop_framing && (f.name() == http::field::transfer_encoding ||
                             (no_content && f.name() == http::field::content_length)))
            continue;
        append_field(out, name, f.value());
    }
    if (framing.add_chunked) out.append("Transfer-Encoding: chunked\r\n");
    append_field(out, "X-Request-Id", request_id);
    // HTTP/1.1 persists unless told otherwise; HTTP/1.0 closes unless told otherwise.
    if (framing.version >= 11 && !framing.keep_alive) out.append("Connection: close\r\n");
    if (framing.version < 11 && framing.keep_alive) out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
}

template void write_upstream_head(http::header<true, http::fields> const&, std::string_view,
                                  forward_context const&, config::route const&, auth::injected_headers const&,
                                  std::string&);
template void write_upstream_head(http::header<true, head_fields> const&, std::string_view,
                                  forward_context const&, config::route const&, auth::injected_headers const&,
                                  std::string&);
template void write_client_response_head(http::header<false, http::fields> const&, std::string_view,
                                         client_framing const&, std::string&);
template void write_client_response_head(relayed_response const&, std::string_view, client_framing const&,
                                         std::string&);

}  // namespace aic::proxy

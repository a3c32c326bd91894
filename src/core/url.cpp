// Parsing and printing of https URLs (see url.hpp for the accepted form).
#include "core/url.hpp"

#include "core/error.hpp"

#include <charconv>

namespace aic {
namespace {

bool is_ipv6_literal(std::string_view host) {
    return host.find(':') != std::string_view::npos;
}

std::string bracketed(std::string_view host) {
    return is_ipv6_literal(host) ? "[" + std::string{host} + "]" : std::string{host};
}

}  // namespace

std::string https_url::authority() const {
    std::string out = bracketed(host);
    if (port != 443) out += ":" + std::to_string(port);
    return out;
}

std::string https_url::with_explicit_port() const {
    return "https://" + bracketed(host) + ":" + std::to_string(port) + (path.empty() ? "/" : path);
}

std::string https_url::text() const {
    return "https://" + authority() + (path.empty() ? "/" : path);
}

result<https_url> parse_https_url(std::string_view text) {
    constexpr std::string_view scheme = "https://";
    if (text.substr(0, scheme.size()) != scheme) return make_error_code(errc::bad_url);
    text.remove_prefix(scheme.size());
    if (text.find_first_of("?#@ \t\r\n") != std::string_view::npos) return make_error_code(errc::bad_url);

    auto const slash = text.find('/');
    std::string_view authority = text.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{"/"} : text.substr(slash);

    https_url url;
    std::string_view port_text;
    if (authority.starts_with('[')) {
        auto const close = authority.find(']');
        if (close == std::string_view::npos) return make_error_code(errc::bad_url);
        url.host = std::string{authority.substr(1, close - 1)};
        auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return make_error_code(errc::bad_url);
            port_text = rest.substr(1);
            if (port_text.empty()) return make_error_code(errc::bad_url);
        }
    } else {
        auto const colon = authority.rfind(':');
        url.host = std::string{authority.substr(0, colon)};
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return make_error_code(errc::bad_url);
        }
        if (url.host.find(':') != std::string::npos) return make_error_code(errc::bad_url);
    }
    if (url.host.empty()) return make_error_code(errc::bad_url);
    if (!port_text.empty()) {
        unsigned value = 0;
        auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
            return make_error_code(errc::bad_url);
        url.port = static_cast<std::uint16_t>(value);
    }
    url.path = std::string{path};
    while (url.path.size() > 1 && url.path.back() == '/') url.path.pop_back();
    return url;
}

https_url join_path(https_url base, std::string_view suffix) {
    if (base.path == "/") base.path.clear();
    if (!suffix.starts_with('/')) base.path += '/';
    base.path += suffix;
    return base;
}

}  // namespace aic

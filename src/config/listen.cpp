// Listen addresses: "host:port", "[v6]:port", "unix:/path", or an object adding a socket's mode and group.
#include "config/sections.hpp"

#include <boost/json/array.hpp>

#include <arpa/inet.h>
#include <sys/un.h>
#include <charconv>
#include <set>

namespace aic::config::detail {
namespace {

constexpr std::string_view expected_forms = R"(expected "host:port", "[ipv6]:port" or "unix:/absolute/path")";

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

bool valid_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (char c : host) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

listen_address parse_address_text(std::string_view text, json_path const& where) {
    // Addresses are not secret; quoting the text helps when one variable (AIC_LISTEN) holds several.
    auto const fail = [&](std::string_view what) {
        detail::fail(where, "\"" + std::string{text} + "\": " + std::string{what});
    };
    listen_address a;
    a.text = std::string{text};
    if (text.starts_with("unix:")) {
        a.type = listen_address::kind::unix_socket;
        a.path = std::string{text.substr(5)};
        if (!a.path.starts_with('/'))
            fail("a unix socket path must be absolute (unix:/run/aic-proxy/proxy.sock)");
        if (a.path.size() >= sizeof(sockaddr_un{}.sun_path))
            fail("unix socket path longer than " + std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                 " bytes");
        return a;
    }
    std::string_view port_text;
    if (text.starts_with('[')) {
        auto const close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            fail(expected_forms);
        a.host = std::string{text.substr(1, close - 1)};
        port_text = text.substr(close + 2);
        in6_addr probe{};
        if (inet_pton(AF_INET6, a.host.c_str(), &probe) != 1) fail("not an IPv6 address inside [...]");
    } else {
        auto const colon = text.rfind(':');
        if (colon == std::string_view::npos) fail(std::string{expected_forms} + " (the port is required)");
        a.host = std::string{text.substr(0, colon)};
        port_text = text.substr(colon + 1);
        if (a.host.find(':') != std::string::npos) fail("write an IPv6 address in brackets: [::1]:8080");
        if (!valid_host_name(a.host)) fail(std::string{expected_forms} + " (bad host)");
    }
    auto const port = parse_port(port_text);
    if (!port) fail("the port must be a number from 0 to 65535");
    a.port = *port;
    return a;
}

unsigned parse_mode(std::string const& text, json_path const& where) {
    unsigned value = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 0777)
        fail(where, "expected an octal file mode as a string, such as \"0660\"");
    return value;
}

}  // namespace

listen_address parse_listen_entry(json::value const& entry, json_path const& where) {
    if (entry.is_string()) return parse_address_text(entry.get_string(), where);
    if (!entry.is_object())
        fail(where, "expected a string or an object, got " + std::string{kind_name(entry)});
    object_reader r{entry, where};
    r.allow_only({"address", "mode", "group"});
    auto a = parse_address_text(r.required_string("address"), r.at("address"));
    bool const is_unix = a.type == listen_address::kind::unix_socket;
    if (auto mode = r.optional_string("mode")) {
        if (!is_unix) fail(r.at("mode"), "only unix sockets have a file mode");
        a.mode = parse_mode(*mode, r.at("mode"));
    }
    if (auto group = r.optional_string("group")) {
        if (!is_unix) fail(r.at("group"), "only unix sockets have an owning group");
        if (group->empty()) fail(r.at("group"), "empty group name");
        a.group = *group;
    }
    return a;
}

std::vector<listen_address> parse_listen(json::value const& list, json_path const& where) {
    auto const& arr = as_array(list, where);
    if (arr.empty()) fail(where, "at least one address is required");
    std::vector<listen_address> out;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < arr.size(); ++i) {
        auto a = parse_listen_entry(arr[i], where.index(i));
        if (!seen.insert(a.text).second) fail(where.index(i), "duplicate address " + a.text);
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<listen_address> default_listen() {
    json_path const none;
    return {parse_address_text("127.0.0.1:8080", none), parse_address_text("[::1]:8080", none)};
}

}  // namespace aic::config::detail

// The "routes" section: path prefixes mapped to credentials, scopes, fixed headers and methods.
#include "config/sections.hpp"
#include "core/header_value.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <cctype>

namespace aic::config::detail {
namespace {

bool is_token_char(char c) {
    // RFC 9110 tchar: header names and methods.
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Headers the proxy owns: configuring them would fight the Bearer injection or the framing.
bool reserved_header(std::string const& lowered) {
    static constexpr std::string_view reserved[] = {
        "authorization", "host", "cookie",  "content-length", "transfer-encoding", "connection",
        "keep-alive",    "te",   "trailer", "upgrade",        "x-api-key",         "x-api-secret"};
    return std::find(std::begin(reserved), std::end(reserved), lowered) != std::end(reserved);
}

std::string normalised_prefix(std::string prefix, json_path const& where) {
    if (!prefix.starts_with('/')) fail(where, "must start with '/'");
    while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
    if (prefix == "/") fail(where, "must name at least one path segment, such as \"/openidm\"");
    if (prefix.find_first_of("?#%\\ \t\r\n") != std::string::npos || prefix.find("//") != std::string::npos)
        fail(where, "must be a plain path: no '?', '#', '%', '\\', spaces or empty segments");
    std::string_view rest{prefix};
    while (!rest.empty()) {
        rest.remove_prefix(1);
        auto const segment = rest.substr(0, rest.find('/'));
        if (segment == "." || segment == "..") fail(where, "must not contain '.' or '..' segments");
        rest.remove_prefix(segment.size());
    }
    if (prefix == "/_proxy" || prefix.starts_with("/_proxy/"))
        fail(where, "/_proxy is reserved for the proxy's own endpoints");
    return prefix;
}

std::vector<std::pair<std::string, std::string>> parse_headers(object_reader const& r) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto name : r.keys()) {
        auto const where = r.at(name);
        if (!is_token(name)) fail(where, "not a valid header name");
        auto const lowered = lower(std::string{name});
        if (reserved_header(lowered)) fail(where, "set by the proxy itself; it cannot be configured");
        for (auto const& [seen, v] : out)
            if (lower(seen) == lowered) fail(where, "header given twice (names are case-insensitive)");
        auto value = as_string(*r.find(name), where);
        if (!header_value_safe(value)) fail(where, "header values must not contain CR, LF or NUL");
        out.emplace_back(std::string{name}, std::move(value));
    }
    return out;
}

std::vector<std::string> parse_methods(object_reader const& r) {
    auto methods = *r.optional_string_array("methods");
    if (methods.empty())
        fail(r.at("methods"), "an empty list would refuse every request; remove the key to allow all");
    for (std::size_t i = 0; i < methods.size(); ++i) {
        if (!is_token(methods[i])) fail(r.at("methods").index(i), "not a valid HTTP method");
        methods[i] = upper(std::move(methods[i]));
    }
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    return methods;
}

route parse_one(object_reader const& r, std::map<std::string, credential> const& credentials) {
    r.allow_only({"prefix", "credential", "scopes", "headers", "methods", "upstream"});
    route out;
    out.prefix = normalised_prefix(r.required_string("prefix"), r.at("prefix"));
    out.credential = r.required_string("credential");
    auto const cred = credentials.find(out.credential);
    if (cred == credentials.end()) {
        std::string known;
        for (auto const& [name, c] : credentials) known += (known.empty() ? "" : ", ") + name;
        fail(r.at("credential"), "unknown credential \"" + out.credential + "\" (configured: " + known + ")");
    }
    auto scopes = r.optional_string_array("scopes");
    if (cred->second.type == credential_type::api_key) {
        if (scopes && !scopes->empty())
            fail(r.at("scopes"), "an api_key credential sends no token, so takes no scopes");
    } else {
        if (!scopes || scopes->empty()) fail(r.at("scopes"), "a token credential needs at least one scope");
        for (std::size_t i = 0; i < scopes->size(); ++i) {
            auto const& s = (*scopes)[i];
            if (s.empty() || s.find_first_of(" \t\r\n\"\\") != std::string::npos)
                fail(r.at("scopes").index(i), "a scope is one non-empty word without spaces or quotes");
        }
        std::sort(scopes->begin(), scopes->end());
        scopes->erase(std::unique(scopes->begin(), scopes->end()), scopes->end());
        out.scopes = std::move(*scopes);
    }
    if (auto headers = r.optional_object("headers")) out.headers = parse_headers(*headers);
    if (r.has("methods")) out.methods = parse_methods(r);
    if (auto upstream = r.optional_string("upstream"))
        out.upstream = parse_base_url(*upstream, r.at("upstream"));
    return out;
}

}  // namespace

std::vector<route> parse_routes(json::value const& list, json_path const& where,
                                std::map<std::string, credential> const& credentials) {
    auto const& arr = as_array(list, where);
    if (arr.empty()) fail(where, "empty; remove the key to use the built-in AIC route table");
    std::vector<route> out;
    std::map<std::string, std::size_t> seen;  // prefix -> index, for the duplicate message
    for (std::size_t i = 0; i < arr.size(); ++i) {
        object_reader r{arr[i], where.index(i)};
        auto rt = parse_one(r, credentials);
        auto [it, fresh] = seen.emplace(rt.prefix, i);
        if (!fresh)
            fail(r.at("prefix"), "duplicate prefix " + rt.prefix + " (already used by " +
                                     where.index(it->second).text() + ")");
        out.push_back(std::move(rt));
    }
    return out;
}

}  // namespace aic::config::detail

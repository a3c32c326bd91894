// redact(): one left-to-right pass over a log line that replaces credential-shaped values with
// "[REDACTED]". Over-redaction is the safe direction: when a shape is ambiguous, it is redacted.
#include "ops/logging.hpp"

#include <array>
#include <cstddef>

namespace aic::ops {

namespace {

constexpr std::string_view replacement = "[REDACTED]";

constexpr char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr bool is_b64url(char c) {
    return is_alnum(c) || c == '-' || c == '_';
}
// RFC 7235 token68: what a Bearer or Basic credential is made of.
constexpr bool is_token68(char c) {
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}
constexpr bool is_word(char c) {
    return is_alnum(c) || c == '_' || c == '-';
}
constexpr bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// Keys whose value is a secret. `header`: also an HTTP header name, whose "Name: value" form runs
// to the end of the line (a Cookie value has spaces and ';').
struct key_rule {
    std::string_view name;
    bool header;
};
constexpr std::array<key_rule, 13> keys{{
    {"access_token", false},
    {"refresh_token", false},
    {"id_token", false},
    {"client_secret", false},
    {"client_assertion", false},
    {"assertion", false},
    {"password", false},
    {"api_secret", false},
    {"authorization", true},
    {"set-cookie", true},
    {"cookie", true},
    {"x-api-secret", true},
    {"x-proxy-key", true},
}};

// First letters (lower case) of everything that can start a match; anything else is skipped
// with one table lookup, which keeps lines without secrets cheap.
constexpr std::array<bool, 256> make_starts() {
    std::array<bool, 256> t{};
    for (auto const& k : keys) t[static_cast<unsigned char>(k.name[0])] = true;
    t[static_cast<unsigned char>('b')] = true;  // bearer, basic
    t[static_cast<unsigned char>('e')] = true;  // eyJ... (JWT)
    for (char c = 'a'; c <= 'z'; ++c) {
        if (t[static_cast<unsigned char>(c)]) t[static_cast<unsigned char>(c - 'a' + 'A')] = true;
    }
    return t;
}
constexpr std::array<bool, 256> starts = make_starts();

bool iequals_at(std::string_view s, std::size_t pos, std::string_view word) {
    if (s.size() - pos < word.size()) return false;
    for (std::size_t k = 0; k < word.size(); ++k) {
        if (lower(s[pos + k]) != word[k]) return false;
    }
    return true;
}

struct span {
    std::size_t begin = 0;
    std::size_t end = 0;  // one past; begin == end: nothing to redact
};

// "Bearer <token68>" / "Basic <token68>".
bool match_scheme(std::string_view s, std::size_t i, span& out) {
    std::size_t p = i;
    if (iequals_at(s, i, "bearer")) {
        p += 6;
    } else if (iequals_at(s, i, "basic")) {
        p += 5;
    } else {
        return false;
    }
    if (p >= s.size() || !is_space(s[p])) return false;
    while (p < s.size() && is_space(s[p])) ++p;
    std::size_t const b = p;
    while (p < s.size() && is_token68(s[p])) ++p;
    if (p == b) return false;
    out = {b, p};
    return true;
}

// A JWS (three base64url segments) or JWE (five), header starting with `{"` = "eyJ".
bool match_jwt(std::string_view s, std::size_t i, span& out) {
    if (s.compare(i, 3, "eyJ") != 0) return false;
    std::size_t p = i;
    while (p < s.size() && is_b64url(s[p])) ++p;
    int dots = 0;
    while (p < s.size() && s[p] == '.') {
        std::size_t const seg = p + 1;
        std::size_t q = seg;
        while (q < s.size() && is_b64url(s[q])) ++q;
        // The payload segment must be non-empty; an unsigned JWT may end in an empty signature.
        if (q == seg && dots == 0) break;
        ++dots;
        p = q;
    }
    if (dots < 2) return false;
    out = {i, p};
    return true;
}

std::size_t end_of_line(std::string_view s, std::size_t p) {
    while (p < s.size() && s[p] != '\n' && s[p] != '\r') ++p;
    return p;
}

// `key` in JSON ("key": "value", also inside an escaped JSON string), form (key=value&...) or
// header (Name: value) syntax.
bool match_key(std::string_view s, std::size_t i, span& out) {
    for (auto const& k : keys) {
        if (!iequals_at(s, i, k.name)) continue;
        std::size_t p = i + k.name.size();
        if (p < s.size() && is_word(s[p])) continue;
        bool quoted = false;
        if (p + 1 < s.size() && s[p] == '\\' && s[p + 1] == '"') {
            p += 2;
            quoted = true;
        } else if (p < s.size() && s[p] == '"') {
            p += 1;
            quoted = true;
        }
        while (p < s.size() && is_space(s[p])) ++p;
        if (p >= s.size() || (s[p] != ':' && s[p] != '=')) continue;
        char const sep = s[p++];
        while (p < s.size() && is_space(s[p])) ++p;
        if (p >= s.size()) return false;

        if (s[p] == '"') {
            std::size_t const b = ++p;
            while (p < s.size() && s[p] != '"') p += (s[p] == '\\' && p + 1 < s.size()) ? 2 : 1;
            out = {b, p < s.size() ? p : s.size()};
        } else if (s[p] == '\\' && p + 1 < s.size() && s[p + 1] == '"') {
            std::size_t const b = p + 2;
            auto const close = s.find("\\\"", b);
            out = {b, close == std::string_view::npos ? end_of_line(s, b) : close};
        } else if (k.header && sep == ':' && !quoted) {
            out = {p, end_of_line(s, p)};
        } else {
            std::size_t const b = p;
            while (p < s.size()) {
                char const c = s[p];
                if (c == '&' || c == '"' || c == ',' || c == ';' || c == '}' || c == ']' || c == ')' ||
                    c == '\n' || c == '\r' || is_space(c))
                    break;
                ++p;
            }
            out = {b, p};
        }
        return true;
    }
    return false;
}

}  // namespace

std::string redact(std::string_view line) {
    std::string out;
    std::size_t copied = 0;
    std::size_t i = 0;
    while (i < line.size()) {
        if (!starts[static_cast<unsigned char>(line[i])] || (i > 0 && is_word(line[i - 1]))) {
            ++i;
            continue;
        }
        span m;
        if ((match_key(line, i, m) || match_scheme(line, i, m) || match_jwt(line, i, m)) && m.end > m.begin) {
            if (out.empty()) out.reserve(line.size());
            out.append(line.substr(copied, m.begin - copied));
            out += replacement;
            copied = m.end;
            i = m.end;
            continue;
        }
        ++i;
    }
    if (copied == 0) return std::string(line);
    out.append(line.substr(copied));
    return out;
}

}  // namespace aic::ops

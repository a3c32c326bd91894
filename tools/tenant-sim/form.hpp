// application/x-www-form-urlencoded decoding (bodies, query strings, RFC 6749 §2.3.1 Basic halves).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace aic::sim {

// '+' is a space, %XX a byte; nullopt on a malformed escape.
std::optional<std::string> form_decode(std::string_view text);

// name=value pairs split at '&'; nullopt on a malformed escape or a repeated name (OAuth forbids
// repeated parameters).
std::optional<std::map<std::string, std::string>> parse_form(std::string_view text);

// The query part of a request-target ("" when none), decoded leniently: malformed pairs dropped.
std::map<std::string, std::string> parse_query(std::string_view target);
std::string_view path_of(std::string_view target);

}  // namespace aic::sim

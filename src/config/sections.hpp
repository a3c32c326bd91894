// The loader's per-section parsers (internal). Each reads one part of the document and throws
// config_error naming the JSON path on the first problem.
#pragma once

#include "config/config.hpp"
#include "config/json_reader.hpp"
#include "config/secrets.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aic::config::detail {

// "host:port", "[v6]:port", "unix:/path", or {"address": …, "mode": "0660", "group": …}.
listen_address parse_listen_entry(json::value const& entry, json_path const& where);
std::vector<listen_address> parse_listen(json::value const& list, json_path const& where);
std::vector<listen_address> default_listen();

https_url parse_base_url(std::string const& text, json_path const& where);  // https, no path

std::map<std::string, credential> parse_credentials(object_reader const& section, https_url const& tenant,
                                                    secret_context const& ctx);
std::vector<route> parse_routes(json::value const& list, json_path const& where,
                                std::map<std::string, credential> const& credentials);

timeouts parse_timeouts(object_reader const& section);
limits parse_limits(object_reader const& section);
token_settings parse_tokens(object_reader const& section);
security parse_security(object_reader const& section, secret_context const& ctx);
logging_settings parse_logging(object_reader const& section);

// Builds the whole config from a parsed document (shared by the file, text and environment modes).
config build_config(json::value const& doc, std::string source, secret_context const& ctx,
                    path_aliases const* aliases);

}  // namespace aic::config::detail

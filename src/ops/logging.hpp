// Logging set-up (spdlog, text or JSON) and the redaction layer every sink sits behind.
#pragma once

#include "config/config.hpp"

#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>
#include <string_view>

namespace aic::ops {

// Installs the default logger: level and format from `settings`, output to stderr, or to
// `sink` when given (tests capture lines this way). All output passes through redact().
void setup_logging(config::logging_settings const& settings, spdlog::sink_ptr sink = nullptr);

// Replaces anything that looks like a credential with "[REDACTED]": Bearer/Basic values,
// JWTs (three base64url segments), access_token / assertion / client_secret / password
// fields in JSON or form bodies, Authorization / Cookie / X-API-Secret / X-Proxy-Key values.
std::string redact(std::string_view line);

}  // namespace aic::ops

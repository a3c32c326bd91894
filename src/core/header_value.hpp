// Whether a string can be an HTTP header value as it is, without splitting the head it goes in.
#pragma once

#include <string_view>

namespace aic {

// False when `value` holds a CR, LF or NUL. Everything else passes (tabs, spaces, obs-text):
// this guards the head's framing, it is not a grammar check.
bool header_value_safe(std::string_view value) noexcept;

}  // namespace aic

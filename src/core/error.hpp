// The project's error codes (one category) for failures that travel as result<T> / error_code.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace aic {

enum class errc {
    deadline_exceeded = 1,     // a whole multi-step operation ran out of time
    response_too_large,        // a peer sent more than the configured limit
    token_endpoint_error,      // the token endpoint answered with an OAuth error
    token_response_malformed,  // the token endpoint's 2xx body was not a usable token
    refresh_abandoned,         // the fetch this caller waited for was cancelled
    no_token,                  // no valid token within the bounded wait
    bad_url,                   // a URL that is not https://host[:port]/path
    key_invalid,               // a private key that could not be loaded or used
};

boost::system::error_category const& aic_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), aic_category()};
}

}  // namespace aic

template <>
struct boost::system::is_error_code_enum<aic::errc> : std::true_type {};

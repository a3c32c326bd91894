// What the token endpoints give and what the proxy injects: tokens, fetch errors, grants.
#pragma once

#include "core/header_value.hpp"
#include "core/posix_clock.hpp"
#include "core/secret.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aic::auth {

struct access_token {
    secret value;                       // opaque; never log, never in an error
    boot_clock::time_point expires_at;  // obtained_at + expires_in
    std::chrono::seconds lifetime{0};   // expires_in as granted
    std::vector<std::string> scopes;    // as granted, sorted
};

// Why no token: from the token endpoint (status + OAuth error) or from the way there.
struct token_error {
    std::string credential;    // the credential's name in the config
    std::string endpoint;      // token endpoint URL
    unsigned http_status = 0;  // 0 when there was no HTTP answer
    std::string error;         // OAuth "error", or local: network, tls, timeout, malformed_response, no_token
    std::string description;   // OAuth "error_description" or local detail; never secret material
};

[[noreturn]] void throw_exception_from_error(token_error const& e, boost::source_location const& loc);

// "from <endpoint>: [HTTP <status> ]<error>[ (<description>)]": where a fetch failed and why, for
// the 503 detail and the token command's stderr (never secret material: see token_error).
std::string describe_failure(token_error const& e);

// The tenant refused the scopes themselves (OAuth invalid_scope: the account was not created with
// them). Not an outage: it lasts until an operator changes the account or the route.
inline bool scope_refused(token_error const& e) {
    return e.error == "invalid_scope";
}

// Header fields a route adds to each upstream request ("Authorization: Bearer …", or the log
// API's X-API-Key/X-API-Secret). Built once per token, shared by every request that uses it.
// Values are checked here, once, rather than on every request they go into: a bearer token can
// be a kilobyte or more.
class injected_headers {
public:
    using field = std::pair<std::string, secret>;

    // Adds a field unless `value` holds a CR, LF or NUL, which would split the request head it
    // went into; false then, and the field is left out.
    bool add(std::string name, secret value) {
        if (!header_value_safe(value.reveal())) return false;
        fields_.emplace_back(std::move(name), std::move(value));
        return true;
    }

    // Every value here is safe to write into a head as it is.
    std::vector<field> const& fields() const noexcept { return fields_; }

private:
    std::vector<field> fields_;
};

// What the forwarder gets for one request.
struct grant {
    std::shared_ptr<access_token const> token;        // null for api-key routes
    std::shared_ptr<injected_headers const> headers;  // never null
};

using token_result = boost::system::result<access_token, token_error>;
using grant_result = boost::system::result<grant, token_error>;

}  // namespace aic::auth

// `aic-proxy token`: fetch one access token for a route or a (credential, scopes) pair and print
// it on stdout, alone; errors go to stderr with the endpoint's error_description.
#pragma once

#include "config/config.hpp"

#include <iosfwd>
#include <string>
#include <vector>

namespace aic::app {

struct token_request {
    std::string route;       // a route prefix, or empty
    std::string credential;  // with scopes, when no route is given
    std::vector<std::string> scopes;
};

int print_token(config::config const& cfg, token_request const& request, std::ostream& out,
                std::ostream& err);

}  // namespace aic::app

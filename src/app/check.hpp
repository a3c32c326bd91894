// `aic-proxy check`: loads every service-account key and prints the effective configuration with
// secrets masked. Problems go to `err`; returns exit_ok or exit_failure.
#pragma once

#include "config/config.hpp"

#include <iosfwd>

namespace aic::app {

int run_check(config::config const& cfg, std::ostream& out, std::ostream& err);

}  // namespace aic::app

// sim.json (the executable's config) -> options.
#pragma once

#include "tenant_sim.hpp"

#include <string>

namespace aic::sim {

// Throws std::runtime_error naming the problem when the file is unreadable or malformed.
options load_sim_config(std::string const& path);

}  // namespace aic::sim

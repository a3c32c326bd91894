// `tenant-sim demo-setup DIR`: a CA, a localhost server certificate, demo credentials, the sim's
// config and a matching aic-proxy config, all in DIR.
#pragma once

#include <cstdint>
#include <string>

namespace aic::sim {

// Throws std::runtime_error on failure.
void demo_setup(std::string const& dir, std::uint16_t port);

}  // namespace aic::sim

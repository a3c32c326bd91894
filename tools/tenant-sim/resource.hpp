// The simulator's resource APIs (/openidm, /am, /iga, /auto, /environment, /ws/admin, /monitoring).
#pragma once

#include "http_io.hpp"

namespace aic::sim {

class sim_state;

// Answers one request whose header has been read; returns whether the connection stays usable.
net::awaitable<bool> serve_resource(tls_stream& s, beast::flat_buffer& buf, request_parser& p,
                                    sim_state& state);

}  // namespace aic::sim

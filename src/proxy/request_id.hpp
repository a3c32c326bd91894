// X-Request-Id: the client's when it is safe to echo into headers and logs, else a fresh one.
#pragma once

#include <string>
#include <string_view>

namespace aic::proxy {

// The client's value when it is 1..128 chars of [A-Za-z0-9._-]; otherwise 32 lowercase hex
// chars from a per-thread PRNG seeded from RAND_bytes (unique, not secret).
std::string make_request_id(std::string_view client_supplied);
// The same into `out`, whose capacity a session reuses from request to request (no allocation).
void make_request_id(std::string_view client_supplied, std::string& out);

}  // namespace aic::proxy

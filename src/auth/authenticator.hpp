// The only thing the proxy knows about credentials: ask for a grant, report a rejected token,
// read a status for readiness and metrics.
#pragma once

#include "auth/access_token.hpp"
#include "core/net.hpp"
#include "core/posix_clock.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aic::auth {

struct auth_status {
    enum class state { cold, valid, expired, failing, static_key };
    std::string credential;
    std::vector<std::string> scopes;
    state current = state::cold;
    std::optional<boot_clock::time_point> expires_at;
    std::uint64_t fetches_ok = 0;
    std::uint64_t fetches_failed = 0;
    std::uint64_t consecutive_failures = 0;
    std::uint64_t requests_waited = 0;  // acquire() calls that found no valid token at once
    std::optional<token_error> last_error;
};

// What reject() did with a token the upstream refused.
enum class rejection {
    replaced,  // dropped, or already replaced: a replay with the next grant may succeed
    kept,      // still the cached one, as a 401 forced a refresh too recently: pass the 401 through
};

class authenticator {
public:
    virtual ~authenticator() = default;
    // A valid grant now, or after a bounded wait for a running fetch; else a token_error.
    virtual net::awaitable<grant_result> acquire() = 0;
    // A valid grant when one is at hand, without suspending: the steady-state path, which costs
    // no coroutine frame. nullopt means "call acquire()", not "no token".
    virtual std::optional<grant> try_acquire() { return std::nullopt; }
    // The upstream answered 401 to a request that carried `token`: drop it if still cached,
    // unless the cache bounds how often a 401 may force a refresh (token_cache).
    virtual rejection reject(std::shared_ptr<access_token const> const& token) = 0;
    virtual auth_status status() const = 0;
    // Begin eager fetch / background refresh; stop them and wake all waiters.
    virtual void start() = 0;
    virtual void stop() = 0;
};

}  // namespace aic::auth

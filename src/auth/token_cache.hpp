// The token cache of design.md §4 for one (credential, scope set): eager fetch, refresh ahead of
// expiry in the background, single flight, backoff on failure, bounded waits, fail closed, and
// at most one refresh per tokens.forced_refresh_interval forced by upstream 401s.
// Callable from any thread: acquire() serves a valid token under a short lock; everything that
// waits or fetches (the refresh loop, waiters, backoff) runs on the executor given at
// construction, its home, and acquire() hops there only when no valid token is at hand.
#pragma once

#include "auth/authenticator.hpp"
#include "auth/token_source.hpp"
#include "config/config.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aic::auth {

// What one finished fetch did, for observers (tests, logs): the outcome and when the next
// attempt is scheduled.
struct fetch_event {
    bool ok = false;
    std::chrono::milliseconds next_attempt_in{0};
    std::optional<token_error> error;
};

// How long before expiry a token of `lifetime` is refreshed (before jitter): the larger of
// refresh_fraction × lifetime and refresh_min_margin, but never more than half the lifetime.
std::chrono::milliseconds refresh_margin(std::chrono::seconds lifetime,
                                         config::token_settings const& settings);

// Where the cache reads the time: boot_clock::now, or in tests a clock that moves when told to.
using clock_reading = boot_clock::time_point (*)();

class token_cache final : public authenticator, public std::enable_shared_from_this<token_cache> {
public:
    token_cache(net::any_io_executor ex, std::unique_ptr<token_source> source,
                std::vector<std::string> scopes, config::token_settings settings,
                std::chrono::milliseconds max_wait, clock_reading now = &boot_clock::now);
    ~token_cache() override;

    net::awaitable<grant_result> acquire() override;
    std::optional<grant> try_acquire() override { return valid_grant(); }
    rejection reject(std::shared_ptr<access_token const> const& token) override;
    auth_status status() const override;
    void start() override;
    void stop() override;

    void on_fetch(std::function<void(fetch_event const&)> observer) { observer_ = std::move(observer); }

private:
    struct state;
    net::awaitable<void> refresh_loop();
    std::optional<grant> valid_grant() const;
    net::awaitable<grant_result> acquire_at_home();
    void request_fetch_soon();

    std::shared_ptr<state> state_;
    std::function<void(fetch_event const&)> observer_;
};

}  // namespace aic::auth

#include "auth/token_cache.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <mutex>
#include <utility>

namespace aic::auth {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Uniform in [0, 1): jitter spreads refreshes of many proxies; it needs no cryptographic quality
// but RAND_bytes is at hand and this runs once per fetch.
double unit_random() {
    std::uint32_t r = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1) return 0.5;
    return static_cast<double>(r) / 4294967296.0;
}

std::string scope_text(std::vector<std::string> const& scopes) {
    std::string out;
    for (auto const& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

milliseconds until(boot_clock::time_point t, boot_clock::time_point now) {
    auto const d = t - now;
    return d.count() > 0 ? duration_cast<milliseconds>(d) : milliseconds(0);
}

std::int64_t whole_seconds_until(boot_clock::time_point t, boot_clock::time_point now) {
    return std::chrono::ceil<std::chrono::seconds>(until(t, now)).count();
}

}  // namespace

std::chrono::milliseconds refresh_margin(std::chrono::seconds lifetime,
                                         config::token_settings const& settings) {
    auto const fraction = milliseconds(static_cast<std::int64_t>(
        static_cast<double>(duration_cast<milliseconds>(lifetime).count()) * settings.refresh_fraction));
    auto const margin = std::max(fraction, duration_cast<milliseconds>(settings.refresh_min_margin));
    return std::min(margin, duration_cast<milliseconds>(lifetime) / 2);
}

struct token_cache::state {
    state(net::any_io_executor ex, std::unique_ptr<token_source> src, std::vector<std::string> sc,
          config::token_settings st, milliseconds wait, clock_reading clock)
        : source(std::move(src)),
          scopes(std::move(sc)),
          settings(st),
          max_wait(wait),
          now(clock),
          home(ex),
          wake(ex),
          fetched(ex),
          backoff(st.backoff_initial) {
        fetched.expires_at(net::steady_timer::time_point::max());
    }

    std::unique_ptr<token_source> source;
    std::vector<std::string> scopes;
    config::token_settings settings;
    milliseconds max_wait;
    clock_reading now;

    net::any_io_executor home;  // where fetches, waits and the refresh loop run

    // `guard` covers what other threads read or drop: the token, its headers and the figures of
    // status(). Only the home executor writes them, except reject(), which drops the token.
    mutable std::mutex guard;
    std::shared_ptr<access_token const> token;
    std::shared_ptr<injected_headers const> headers;
    bool ever_had_token = false;
    std::uint64_t fetches_ok = 0;
    std::uint64_t fetches_failed = 0;
    std::uint64_t consecutive_failures = 0;
    std::uint64_t requests_waited = 0;
    std::optional<token_error> last_error;
    // When a 401 last dropped the token, which opens a window in which 401s keep it, and whether
    // that window's first kept token has been logged (once: any client can cause these).
    std::optional<boot_clock::time_point> last_forced_refresh;
    bool kept_token_logged = false;

    // Home executor only.
    net::steady_timer wake;     // the refresh loop sleeps on it; cancel() wakes it
    net::steady_timer fetched;  // never expires: waiters are woken by cancel() after each fetch
    bool running = false;
    bool stopped = false;
    bool fetching = false;
    std::uint64_t generation = 0;                        // completed fetches
    std::optional<boot_clock::time_point> next_attempt;  // nullopt: as soon as possible
    std::optional<boot_clock::time_point> last_failure;
    milliseconds backoff;

    // Fail closed with a little room: a token is not sent when it would expire in flight.
    // Callers hold `guard`.
    bool valid_now() const {
        if (!token) return false;
        auto const skew = std::min<boot_clock::duration>(std::chrono::seconds(2), token->lifetime / 10);
        return now() + skew < token->expires_at;
    }

    // Callers hold `guard`.
    bool refresh_forced_within_interval(boot_clock::time_point at) const {
        return last_forced_refresh && at < *last_forced_refresh + settings.forced_refresh_interval;
    }
};

token_cache::token_cache(net::any_io_executor ex, std::unique_ptr<token_source> source,
                         std::vector<std::string> scopes, config::token_settings settings,
                         std::chrono::milliseconds max_wait, clock_reading now)
    : state_(std::make_shared<state>(ex, std::move(source), std::move(scopes), settings, max_wait, now)) {}

token_cache::~token_cache() {
    state_->stopped = true;
    state_->wake.cancel();
    state_->fetched.cancel();
}

std::optional<grant> token_cache::valid_grant() const {
    std::lock_guard lock{state_->guard};
    if (!state_->valid_now()) return std::nullopt;
    return grant{state_->token, state_->headers};
}

void token_cache::request_fetch_soon() {
    auto& s = *state_;
    if (s.fetching || s.stopped) return;
    // A waiting request may cut a long backoff short, but not below the initial backoff after a
    // failure: a burst of requests during an outage must not become a burst of token requests.
    auto earliest = s.now();
    if (s.last_failure) earliest = std::max(earliest, *s.last_failure + s.settings.backoff_initial);
    if (!s.next_attempt || earliest < *s.next_attempt) {
        s.next_attempt = earliest;
        s.wake.cancel();
    }
    if (!s.running) start();
}

net::awaitable<grant_result> token_cache::acquire() {
    if (auto g = valid_grant()) co_return *g;
    // Waiting and fetching belong to the home executor; a request from another event loop waits
    // there and resumes on its own executor (co_spawn completes through the caller's executor).
    auto const here = co_await net::this_coro::executor;  // not inside the condition: GCC 12
    if (!same_context(here, state_->home)) {
        co_return co_await net::co_spawn(state_->home, acquire_at_home(), use_throw);
    }
    co_return co_await acquire_at_home();
}

net::awaitable<grant_result> token_cache::acquire_at_home() {
    if (auto g = valid_grant()) co_return *g;
    using namespace net::experimental::awaitable_operators;
    auto keep = state_;  // the cache may be replaced by a reload while this request waits
    auto& s = *keep;
    {
        std::lock_guard lock{s.guard};
        ++s.requests_waited;
    }
    auto const seen = s.generation;
    request_fetch_soon();

    net::steady_timer deadline(co_await net::this_coro::executor, s.max_wait);
    for (;;) {
        auto outcome = co_await (s.fetched.async_wait(use_nothrow) || deadline.async_wait(use_nothrow));
        if (auto g = valid_grant()) co_return *g;
        auto const& error_or = [&]() -> token_error {
            std::lock_guard lock{s.guard};
            if (s.last_error) return *s.last_error;
            return token_error{s.source->credential_name(), s.source->endpoint().text(), 0, "no_token",
                               "no token was obtained"};
        };
        if (s.stopped)
            co_return token_error{s.source->credential_name(), s.source->endpoint().text(), 0, "no_token",
                                  "the proxy is shutting down"};
        if (outcome.index() == 1) {
            token_error e = error_or();
            std::lock_guard lock{s.guard};
            if (s.fetching || !s.last_error) {
                e.error = "no_token";
                e.description = "the token endpoint did not answer within " +
                                std::to_string(s.max_wait.count()) + " ms" +
                                (s.last_error ? "; last error: " + s.last_error->description : "");
            }
            co_return e;
        }
        if (s.generation != seen) co_return error_or();  // the fetch we waited for failed
    }
}

rejection token_cache::reject(std::shared_ptr<access_token const> const& token) {
    auto& s = *state_;
    auto const now = s.now();
    bool kept = false;
    bool log_kept = false;
    boot_clock::time_point interval_ends;
    {
        // Dropped here, on the caller's thread, so that its next acquire() cannot get it back.
        std::lock_guard lock{s.guard};
        if (!token || s.token != token) return rejection::replaced;  // the new one may be fine
        // A 401 this soon after one forced a refresh most likely says nothing about the token:
        // the endpoint refuses every token, or refuses the client's request. Another fetch would
        // be refused alike, and one per request would push the tenant's token endpoint into its
        // rate limits. A token that was in fact revoked is replaced on the first 401 after.
        kept = s.refresh_forced_within_interval(now);
        if (kept) {
            log_kept = !std::exchange(s.kept_token_logged, true);
            interval_ends = *s.last_forced_refresh + s.settings.forced_refresh_interval;
        } else {
            s.last_forced_refresh = now;
            s.kept_token_logged = false;
            s.token.reset();
            s.headers.reset();
        }
    }
    if (kept) {
        if (log_kept)
            SPDLOG_WARN(
                "token for {} [{}] was refused by the tenant again within {} s of a refresh a 401 "
                "forced; it is kept, and 401s are passed through for {} s",
                s.source->credential_name(), scope_text(s.scopes), s.settings.forced_refresh_interval.count(),
                whole_seconds_until(interval_ends, now));
        return rejection::kept;
    }
    SPDLOG_INFO("token for {} [{}] was refused by the tenant; fetching a new one",
                s.source->credential_name(), scope_text(s.scopes));
    // Inline on the home thread, queued there from any other.
    net::dispatch(s.home, [self = shared_from_this()] { self->request_fetch_soon(); });
    return rejection::replaced;
}

auth_status token_cache::status() const {
    auto const& s = *state_;
    auth_status st;
    st.credential = s.source->credential_name();
    st.scopes = s.scopes;
    std::lock_guard lock{s.guard};
    if (s.token) st.expires_at = s.token->expires_at;
    bool const valid = s.valid_now();
    st.current = valid                    ? auth_status::state::valid
                 : s.consecutive_failures ? auth_status::state::failing
                 : s.ever_had_token       ? auth_status::state::expired
                                          : auth_status::state::cold;
    st.fetches_ok = s.fetches_ok;
    st.fetches_failed = s.fetches_failed;
    st.consecutive_failures = s.consecutive_failures;
    st.requests_waited = s.requests_waited;
    st.last_error = s.last_error;
    return st;
}

void token_cache::start() {
    auto& s = *state_;
    if (s.running || s.stopped) return;
    s.running = true;
    net::co_spawn(s.wake.get_executor(), refresh_loop(), net::detached);
}

void token_cache::stop() {
    auto& s = *state_;
    s.stopped = true;
    s.wake.cancel();
    s.fetched.cancel();
}

net::awaitable<void> token_cache::refresh_loop() {
    auto keep = state_;  // outlives a reload that drops the cache while a fetch runs
    auto& s = *keep;
    while (!s.stopped) {
        bool const due = !s.next_attempt || *s.next_attempt <= s.now();
        if (!due) {
            // Steady timers stop during suspend; the expiry check in acquire() does not, so a
            // late wake-up can only delay a refresh, never inject an expired token.
            s.wake.expires_after(until(*s.next_attempt, s.now()));
            co_await s.wake.async_wait(use_nothrow);
            continue;
        }
        s.fetching = true;
        token_result result = co_await s.source->fetch(s.scopes);
        s.fetching = false;
        if (s.stopped) break;
        ++s.generation;

        fetch_event event;
        if (result) {
            auto token = std::make_shared<access_token>(std::move(*result));
            auto headers = std::make_shared<injected_headers>();
            // Always added: parse_token_response refuses a token a header cannot carry.
            headers->add("Authorization", secret("Bearer " + std::string(token->value.reveal())));
            auto const margin = refresh_margin(token->lifetime, s.settings);
            auto const jitter = milliseconds(
                static_cast<std::int64_t>(static_cast<double>(margin.count()) / 10 * unit_random()));
            s.next_attempt = token->expires_at - margin - jitter;
            SPDLOG_INFO("token for {} [{}] obtained; valid {} s, refresh in {} s",
                        s.source->credential_name(), scope_text(s.scopes), token->lifetime.count(),
                        duration_cast<std::chrono::seconds>(until(*s.next_attempt, s.now())).count());
            {
                std::lock_guard lock{s.guard};
                s.token = std::move(token);
                s.headers = std::move(headers);
                s.ever_had_token = true;
                ++s.fetches_ok;
                s.consecutive_failures = 0;
                s.last_error.reset();
            }
            s.last_failure.reset();
            s.backoff = s.settings.backoff_initial;
            event.ok = true;
        } else {
            // Exponential backoff with ±20 % jitter, capped; the current token stays in use. A
            // scope the account was not created with stays refused until an operator acts: asking
            // again within seconds would only fill the tenant's logs, so that waits the longest.
            if (scope_refused(result.error())) s.backoff = s.settings.backoff_max;
            auto const delay = milliseconds(static_cast<std::int64_t>(static_cast<double>(s.backoff.count()) *
                                                                      (0.8 + 0.4 * unit_random())));
            s.next_attempt = s.now() + delay;
            s.last_failure = s.now();
            s.backoff = std::min(s.backoff * 2, s.settings.backoff_max);
            {
                std::lock_guard lock{s.guard};
                ++s.fetches_failed;
                ++s.consecutive_failures;
                s.last_error = result.error();
            }
            SPDLOG_WARN("token for {} [{}] failed: {} (HTTP {}): {}; retry in {} ms",
                        s.source->credential_name(), scope_text(s.scopes), result.error().error,
                        result.error().http_status, result.error().description, delay.count());
            event.error = result.error();
        }
        event.next_attempt_in = until(*s.next_attempt, s.now());
        s.fetched.cancel();  // wake every waiter; each re-checks the token
        if (observer_) observer_(event);
    }
    s.running = false;
}

}  // namespace aic::auth

// The token cache against the simulator: single flight, refresh ahead of expiry, outage
// behaviour, bounded waits, rejection and its bound. Progress is observed through fetch events,
// not time; the bound's interval passes on a clock the test moves forward.
#include "auth/token_cache.hpp"
#include <boost/asio/detached.hpp>
#include "auth/sources.hpp"
#include "fixture.hpp"

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

using namespace aic;
using namespace std::chrono_literals;

namespace {

// The cache's clock in the tests of the 401 bound: it stands still until the test moves it, so
// the interval's edges are checked exactly. Only those tests use it: the refresh loop's own
// waits need a clock that moves.
struct test_clock {
    static inline boot_clock::time_point at = boot_clock::now();
    static boot_clock::time_point now() { return at; }
};

struct harness {
    test::sim_fixture& f;
    net::io_context ioc;
    std::shared_ptr<auth::token_cache> cache;
    std::vector<auth::fetch_event> events;
    net::steady_timer signal{ioc};

    harness(test::sim_fixture& fixture, config::token_settings settings, std::chrono::milliseconds wait = 5s,
            std::chrono::milliseconds request_timeout = 10s, auth::clock_reading now = &boot_clock::now)
        : f(fixture) {
        auto source =
            auth::make_client_credentials_source(*f.tls, f.client(), {{5s, 5s}, request_timeout, 1 << 20});
        cache = std::make_shared<auth::token_cache>(ioc.get_executor(), std::move(source),
                                                    std::vector<std::string>{"fr:idm:*", "fr:iga:*"},
                                                    settings, wait, now);
        cache->on_fetch([this](auth::fetch_event const& e) {
            events.push_back(e);
            signal.cancel();
        });
    }

    net::awaitable<void> until_events(std::size_t n) {
        while (events.size() < n) {
            signal.expires_at(net::steady_timer::time_point::max());
            co_await signal.async_wait(use_nothrow);
        }
    }

    // Runs `body`, then stops the cache so the io_context runs dry.
    void run(std::function<net::awaitable<void>()> body) {
        std::exception_ptr failure;
        net::co_spawn(ioc, body, [&](std::exception_ptr e) {
            failure = e;
            cache->stop();
        });
        ioc.run();
        if (failure) std::rethrow_exception(failure);
    }
};

config::token_settings fast_settings() {
    config::token_settings s;
    s.refresh_fraction = 0.5;
    s.refresh_min_margin = 1s;
    s.backoff_initial = 100ms;
    s.backoff_max = 400ms;
    return s;
}

}  // namespace

TEST_CASE("refresh margin: 25% of the lifetime or 60 s, whichever is larger, at most half", "[cache]") {
    config::token_settings const defaults;
    CHECK(auth::refresh_margin(899s, defaults) == 224750ms);
    CHECK(auth::refresh_margin(3600s, defaults) == 900s);
    CHECK(auth::refresh_margin(120s, defaults) == 60s);
    CHECK(auth::refresh_margin(60s, defaults) == 30s);
}

TEST_CASE("100 concurrent acquires before any token exists cause one fetch", "[cache]") {
    test::sim_fixture f;
    harness h(f, {});
    std::vector<std::string> seen;
    h.run([&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        int done = 0;
        net::steady_timer all_done(ex, net::steady_timer::time_point::max());
        for (int i = 0; i < 100; ++i) {
            net::co_spawn(
                ex,
                [&]() -> net::awaitable<void> {
                    auto g = co_await h.cache->acquire();
                    if (g) seen.emplace_back(g->token->value.reveal());
                    if (++done == 100) all_done.cancel();
                },
                net::detached);
        }
        co_await all_done.async_wait(use_nothrow);
    });
    REQUIRE(seen.size() == 100);
    CHECK(std::all_of(seen.begin(), seen.end(), [&](auto const& t) { return t == seen.front(); }));
    CHECK(f.sim->stats().token_requests == 1);
    CHECK(h.cache->status().requests_waited == 100);
}

TEST_CASE("the token is refreshed in the background before it expires", "[cache]") {
    test::sim_fixture f;
    f.sim->set_expires_in(4);
    harness h(f, fast_settings());
    h.run([&]() -> net::awaitable<void> {
        h.cache->start();
        co_await h.until_events(1);
        REQUIRE(h.events[0].ok);
        auto const first = co_await h.cache->acquire();
        REQUIRE(first.has_value());
        // Margin 2 s of 4 (half, capped), minus up to 10% jitter: due in about 1.8-2 s.
        CHECK(h.events[0].next_attempt_in <= 2s);
        CHECK(h.events[0].next_attempt_in >= 1500ms);
        co_await h.until_events(2);
        REQUIRE(h.events[1].ok);
        CHECK(boot_clock::now() < first->token->expires_at);  // refreshed while the old one was valid
        auto const second = co_await h.cache->acquire();
        CHECK(second->token->value.reveal() != first->token->value.reveal());
    });
    CHECK(f.sim->stats().token_requests == 2);
    CHECK(h.cache->status().requests_waited == 0);  // steady state: nobody waited
}

TEST_CASE("an outage keeps the valid token in use while retries back off exponentially", "[cache]") {
    test::sim_fixture f;
    f.sim->set_expires_in(6);
    harness h(f, fast_settings());
    h.run([&]() -> net::awaitable<void> {
        h.cache->start();
        co_await h.until_events(1);
        auto const first = co_await h.cache->acquire();
        REQUIRE(first.has_value());
        f.sim->set_token_fault(sim::token_fault::http_500);
        co_await h.until_events(5);  // the refresh, then three retries
        for (std::size_t i = 1; i < 5; ++i) REQUIRE_FALSE(h.events[i].ok);
        // 100 ms doubling to the 400 ms cap, each ±20%.
        auto in = [&](std::size_t i, int lo, int hi) {
            CHECK(h.events[i].next_attempt_in >= std::chrono::milliseconds(lo));
            CHECK(h.events[i].next_attempt_in <= std::chrono::milliseconds(hi));
        };
        in(1, 70, 120);
        in(2, 150, 240);
        in(3, 310, 480);
        in(4, 310, 480);
        auto const during = co_await h.cache->acquire();
        REQUIRE(during.has_value());
        CHECK(during->token == first->token);
        auto const st = h.cache->status();
        CHECK(st.current == auth::auth_status::state::valid);
        CHECK(st.consecutive_failures == 4);
        f.sim->set_token_fault(sim::token_fault::none);
        auto const count = h.events.size();
        co_await h.until_events(count + 1);
        CHECK(h.events.back().ok);
        CHECK(h.cache->status().consecutive_failures == 0);
    });
}

TEST_CASE("cold outage: a request waits a bounded time and gets an error naming the credential", "[cache]") {
    test::sim_fixture f;
    SECTION("the endpoint answers 500: the waiter learns it from the failed fetch") {
        f.sim->set_token_fault(sim::token_fault::http_500);
        harness h(f, fast_settings(), 5s);
        h.run([&]() -> net::awaitable<void> {
            auto const r = co_await h.cache->acquire();
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().credential == "iga");
            CHECK(r.error().http_status == 500);
            CHECK(h.cache->status().current == auth::auth_status::state::failing);
        });
    }
    SECTION("the endpoint hangs: the wait is bounded") {
        f.sim->set_token_fault(sim::token_fault::hang);
        harness h(f, fast_settings(), 300ms, 10s);
        h.run([&]() -> net::awaitable<void> {
            auto const r = co_await h.cache->acquire();
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().credential == "iga");
            CHECK(r.error().error == "no_token");
            CHECK(r.error().description.find("within 300 ms") != std::string::npos);
        });
    }
}

TEST_CASE("reject drops only the token that was refused", "[cache]") {
    test::sim_fixture f;
    harness h(f, {});
    h.run([&]() -> net::awaitable<void> {
        auto const t1 = co_await h.cache->acquire();
        REQUIRE(t1.has_value());
        CHECK(h.cache->reject(t1->token) == auth::rejection::replaced);
        auto const t2 = co_await h.cache->acquire();
        REQUIRE(t2.has_value());
        CHECK(t2->token != t1->token);
        // A late 401 for the old token: t2 stays, and the request may be replayed with it.
        CHECK(h.cache->reject(t1->token) == auth::rejection::replaced);
        auto const t3 = co_await h.cache->acquire();
        CHECK(t3->token == t2->token);
    });
    CHECK(f.sim->stats().token_requests == 2);
}

TEST_CASE(
    "a 401 forces at most one refresh per forced_refresh_interval, and the refused token is kept meanwhile",
    "[cache]") {
    test::sim_fixture f;
    config::token_settings settings;
    REQUIRE(settings.forced_refresh_interval == 30s);  // the default, so the bound needs no config
    test_clock::at = boot_clock::now();
    harness h(f, settings, 5s, 10s, &test_clock::now);
    h.run([&]() -> net::awaitable<void> {
        auto const t1 = co_await h.cache->acquire();
        REQUIRE(t1.has_value());
        CHECK(h.cache->reject(t1->token) == auth::rejection::replaced);
        auto const t2 = co_await h.cache->acquire();
        REQUIRE(t2.has_value());
        CHECK(t2->token != t1->token);

        // The fresh token refused too, within the interval: kept, and no fetch.
        test_clock::at += 29s;
        CHECK(h.cache->reject(t2->token) == auth::rejection::kept);
        CHECK(h.cache->reject(t2->token) == auth::rejection::kept);
        auto const still = h.cache->try_acquire();
        REQUIRE(still.has_value());
        CHECK(still->token == t2->token);
        CHECK(f.sim->stats().token_requests == 2);

        // The first 401 after the interval replaces it: a revoked token is not kept for long.
        test_clock::at += 1s;
        CHECK(h.cache->reject(t2->token) == auth::rejection::replaced);
        auto const t3 = co_await h.cache->acquire();
        REQUIRE(t3.has_value());
        CHECK(t3->token != t2->token);
        // ... and that refresh opens the next interval.
        CHECK(h.cache->reject(t3->token) == auth::rejection::kept);
    });
    CHECK(f.sim->stats().token_requests == 3);
}

TEST_CASE("many 401s for the same token at once cause one fetch, and each may be replayed", "[cache]") {
    test::sim_fixture f;
    harness h(f, {});
    h.run([&]() -> net::awaitable<void> {
        auto const t1 = co_await h.cache->acquire();
        REQUIRE(t1.has_value());
        // Requests in flight with t1 all come back 401: the first drops it, the others find it
        // gone and wait for the same fetch.
        for (int i = 0; i < 10; ++i) CHECK(h.cache->reject(t1->token) == auth::rejection::replaced);
        auto const t2 = co_await h.cache->acquire();
        REQUIRE(t2.has_value());
        CHECK(t2->token != t1->token);
    });
    CHECK(f.sim->stats().token_requests == 2);
}

namespace {

// Event loops other than the cache's own, each on its own thread, as the daemon runs with
// `threads` > 1. Their coroutines are spawned before run(); join() waits until they are done.
struct other_loops {
    std::vector<std::unique_ptr<net::io_context>> loops;
    std::vector<std::thread> threads;

    explicit other_loops(int n) {
        for (int i = 0; i < n; ++i) loops.push_back(std::make_unique<net::io_context>(1));
    }
    void run() {
        for (auto& l : loops) threads.emplace_back([&ioc = *l] { ioc.run(); });
    }
    void join() {
        for (auto& t : threads) t.join();
    }
};

}  // namespace

TEST_CASE("acquires from other event loops cause one fetch and resume on their own loop",
          "[cache][threads]") {
    test::sim_fixture f;
    harness h(f, {});
    constexpr int loop_count = 4;
    constexpr int per_loop = 25;
    std::mutex mu;
    std::vector<std::string> seen;
    int resumed_at_home = 0;
    h.run([&]() -> net::awaitable<void> {
        auto const home = co_await net::this_coro::executor;
        net::steady_timer all_done(home, net::steady_timer::time_point::max());
        int finished = 0;  // counted on the cache's loop only
        other_loops others(loop_count);
        for (auto& loop : others.loops) {
            for (int i = 0; i < per_loop; ++i) {
                net::co_spawn(
                    *loop,
                    [&, &ioc = *loop]() -> net::awaitable<void> {
                        auto const g = co_await h.cache->acquire();
                        {
                            std::lock_guard lock{mu};
                            if (g) seen.emplace_back(g->token->value.reveal());
                            if (!ioc.get_executor().running_in_this_thread()) ++resumed_at_home;
                        }
                        net::post(home, [&] {
                            if (++finished == loop_count * per_loop) all_done.cancel();
                        });
                    },
                    net::detached);
            }
        }
        others.run();
        while (finished < loop_count * per_loop) co_await all_done.async_wait(use_nothrow);
        others.join();
    });
    REQUIRE(seen.size() == loop_count * per_loop);
    CHECK(std::all_of(seen.begin(), seen.end(), [&](auto const& t) { return t == seen.front(); }));
    CHECK(resumed_at_home == 0);
    CHECK(f.sim->stats().token_requests == 1);
}

TEST_CASE("a token rejected on another event loop is never handed out again", "[cache][threads]") {
    test::sim_fixture f;
    harness h(f, {});
    std::shared_ptr<auth::access_token const> first;
    std::shared_ptr<auth::access_token const> second;
    h.run([&]() -> net::awaitable<void> {
        auto const home = co_await net::this_coro::executor;
        net::steady_timer done(home, net::steady_timer::time_point::max());
        bool finished = false;
        other_loops other(1);
        net::co_spawn(
            *other.loops.front(),
            [&]() -> net::awaitable<void> {
                auto const t1 = co_await h.cache->acquire();
                if (t1) {
                    first = t1->token;
                    h.cache->reject(first);
                    auto const t2 = co_await h.cache->acquire();
                    if (t2) second = t2->token;
                }
                net::post(home, [&] {
                    finished = true;
                    done.cancel();
                });
            },
            net::detached);
        other.run();
        while (!finished) co_await done.async_wait(use_nothrow);
        other.join();
    });
    REQUIRE(first);
    REQUIRE(second);
    CHECK(second != first);
    CHECK(second->value.reveal() != first->value.reveal());
    CHECK(f.sim->stats().token_requests == 2);
}

TEST_CASE("invalid_scope is retried at the longest backoff at once, not from the shortest", "[cache]") {
    test::sim_fixture f([](sim::options& o) { o.clients.front().scopes = {"fr:idm:*"}; });  // no fr:iga:*
    harness h(f, fast_settings());  // backoff 100 ms doubling to 400 ms
    h.run([&]() -> net::awaitable<void> {
        h.cache->start();
        co_await h.until_events(2);
        for (std::size_t i = 0; i < 2; ++i) {
            REQUIRE_FALSE(h.events[i].ok);
            CHECK(h.events[i].error->error == "invalid_scope");
            CHECK(h.events[i].next_attempt_in >= 310ms);  // 400 ms - 20 % jitter, less elapsed time
            CHECK(h.events[i].next_attempt_in <= 480ms);
        }
    });
    CHECK(h.cache->status().consecutive_failures >= 2);
}

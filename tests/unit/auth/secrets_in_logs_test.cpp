// Nothing secret reaches a log line from auth/, at the most verbose level, on success or failure.
// The sink here is raw (no redaction layer): auth must not hand secrets to the logger at all.
#include <boost/asio/detached.hpp>
#include "auth/sources.hpp"
#include "auth/token_cache.hpp"
#include "fixture.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <sstream>

using namespace aic;
using namespace std::chrono_literals;

TEST_CASE("token values, assertions, secrets and key material never reach the log", "[logs]") {
    std::ostringstream captured;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    auto const previous = spdlog::default_logger();
    spdlog::set_default_logger(logger);

    test::sim_fixture f;
    net::io_context ioc;
    std::vector<std::string> tokens;
    config::token_settings settings;
    settings.backoff_initial = 50ms;
    auto const service_account_cache = [&] {
        return std::make_shared<auth::token_cache>(
            ioc.get_executor(),
            auth::make_service_account_source(*f.tls, f.service_account(),
                                              auth::load_private_key(f.private_jwk), 180s,
                                              {{5s, 5s}, 5s, 1 << 20}),
            std::vector<std::string>{"fr:idm:*"}, settings, 5s);
    };
    auto sa = service_account_cache();
    bool kept = false;
    auto iga = std::make_shared<auth::token_cache>(
        ioc.get_executor(), auth::make_client_credentials_source(*f.tls, f.client(), {{5s, 5s}, 5s, 1 << 20}),
        std::vector<std::string>{"fr:iga:*"}, settings, 5s);
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            for (auto* cache : {sa.get(), iga.get()}) {
                auto g = co_await cache->acquire();
                if (g) tokens.emplace_back(g->token->value.reveal());
                cache->reject(g->token);  // logs the rejection
                g = co_await cache->acquire();
                if (g) tokens.emplace_back(g->token->value.reveal());
            }
            f.sim->set_token_fault(sim::token_fault::refuse_all);
            // Plain statements: GCC 12 mishandles temporaries of a co_await inside ?: (ASan saw a
            // double destruction).
            auto held = co_await sa->acquire();
            // Refused again within the interval of the refresh the first 401 forced: kept, logged.
            if (held) kept = sa->reject(held->token) == auth::rejection::kept;
            auto cold = service_account_cache();
            (void)co_await cold->acquire();  // a failed fetch is logged too
            cold->stop();
            sa->stop();
            iga->stop();
        },
        net::detached);
    ioc.run();
    spdlog::set_default_logger(previous);

    auto const log = captured.str();
    REQUIRE(tokens.size() == 4);
    CHECK(log.find("obtained") != std::string::npos);  // the capture works
    CHECK(log.find("failed") != std::string::npos);
    CHECK(kept);
    CHECK(log.find("it is kept") != std::string::npos);
    for (auto const& t : tokens) CHECK(log.find(t) == std::string::npos);
    CHECK(log.find("eyJ") == std::string::npos);  // no JWT (assertion) of any kind
    CHECK(log.find(test::client_secret) == std::string::npos);
    CHECK(log.find("s3cr") == std::string::npos);
    auto const jwk = boost::json::parse(f.private_jwk).as_object();
    for (char const* member : {"d", "p", "q", "dp", "dq", "qi"})
        CHECK(log.find(std::string(jwk.at(member).as_string()).substr(0, 20)) == std::string::npos);
}

// Which settings a SIGHUP cannot change: the JSON paths runtime::reload() warns about, compared
// between configs loaded from JSON, so that each path is spelled as the file spells the key.
#include "app/restart_only.hpp"
#include "support.hpp"

using namespace aic::app;
using namespace aic::config::test;
using strings = std::vector<std::string>;
using namespace std::chrono_literals;

namespace {

struct reload_fixture : credentials_fixture {
    // The restart-only changes from a running config with `running_extra` to one with `next_extra`
    // (top-level members added to sa_config()).
    strings changes(std::string const& running_extra, std::string const& next_extra) const {
        return restart_only_changes(load(sa_config(running_extra)), load(sa_config(next_extra)));
    }
};

// Every restart-only key of a section, each with a value other than its default.
constexpr auto changed_timeouts =
    R"("timeouts": {"connect_ms": 1, "tls_handshake_ms": 2, "upstream_response_ms": 3,
    "header_read_ms": 4, "idle_ms": 5, "body_io_ms": 6, "upstream_idle_ms": 7})";
constexpr auto changed_limits =
    R"("limits": {"max_header_bytes": 2048, "max_body_bytes": 1, "max_connections": 2,
    "max_requests_per_connection": 3, "replay_body_bytes": 4, "upstream_pool_size": 5, "buffer_bytes": 2048})";
constexpr auto reloadable_timeouts =
    R"("timeouts": {"token_request_ms": 1, "token_wait_ms": 2, "drain_ms": 0})";

}  // namespace

TEST_CASE("the same config twice: nothing takes a restart", "[reload]") {
    reload_fixture f;
    CHECK(f.changes("", "").empty());
    auto const everything =
        std::string{R"("listen": ["127.0.0.1:8080", "unix:/run/a.sock"], "threads": 2, )"} +
        changed_timeouts + ", " + changed_limits;
    CHECK(f.changes(everything, everything).empty());
}

TEST_CASE("listen: a new port, unix socket or mode is a change, a new order is not", "[reload]") {
    reload_fixture f;
    auto const two = R"("listen": ["127.0.0.1:8080", "[::1]:8080"])";
    CHECK(f.changes(two, R"("listen": ["127.0.0.1:8082", "[::1]:8080"])") == strings{"listen"});
    CHECK(f.changes(R"("listen": ["127.0.0.1:8080"])", R"("listen": ["unix:/run/x.sock"])") ==
          strings{"listen"});
    CHECK(f.changes(R"("listen": ["unix:/run/x.sock"])",
                    R"("listen": [{"address": "unix:/run/x.sock", "mode": "0600"}])") == strings{"listen"});
    CHECK(f.changes("", R"("listen": ["127.0.0.1:8080"])") == strings{"listen"});  // the default has two
    CHECK(f.changes(two, R"("listen": ["[::1]:8080", "127.0.0.1:8080"])").empty());
}

TEST_CASE("tls.ca_file and threads take a restart", "[reload]") {
    reload_fixture f;
    auto const a = f.dir.write("a.pem", "a"), b = f.dir.write("b.pem", "b");
    auto const ca = [](fs::path const& p) { return R"("tls": {"ca_file": ")" + p.string() + R"("})"; };
    CHECK(f.changes(ca(a), ca(b)) == strings{"tls.ca_file"});
    CHECK(f.changes("", ca(a)) == strings{"tls.ca_file"});
    CHECK(f.changes(R"("threads": 1)", R"("threads": 2)") == strings{"threads"});
}

TEST_CASE("every limit and every timeout the server holds takes a restart, named by its key", "[reload]") {
    reload_fixture f;
    CHECK(f.changes("", R"("limits": {"max_body_bytes": 1048576})") == strings{"limits.max_body_bytes"});
    CHECK(f.changes(R"("timeouts": {"header_read_ms": 10000})", R"("timeouts": {"header_read_ms": 2000})") ==
          strings{"timeouts.header_read_ms"});
    CHECK(f.changes("", changed_timeouts) == strings{"timeouts.connect_ms", "timeouts.tls_handshake_ms",
                                                     "timeouts.upstream_response_ms",
                                                     "timeouts.header_read_ms", "timeouts.idle_ms",
                                                     "timeouts.body_io_ms", "timeouts.upstream_idle_ms"});
    CHECK(f.changes("", changed_limits) ==
          strings{"limits.max_header_bytes", "limits.max_body_bytes", "limits.max_connections",
                  "limits.max_requests_per_connection", "limits.replay_body_bytes",
                  "limits.upstream_pool_size", "limits.buffer_bytes"});
}

TEST_CASE("what reloads is no restart-only change", "[reload]") {
    reload_fixture f;
    CHECK(f.changes("", reloadable_timeouts).empty());
    CHECK(f.changes("", R"("tokens": {"refresh_fraction": 0.5}, "logging": {"level": "debug"},
                           "security": {"read_only": true},
                           "routes": [{"prefix": "/am", "credential": "sa", "scopes": ["fr:am:*"]}])")
              .empty());
}

TEST_CASE("the reloaded config keeps the running restart-only values and takes the rest", "[reload]") {
    reload_fixture f;
    auto const running = f.load(sa_config());
    auto next = f.load(
        sa_config(std::string{R"("listen": ["unix:/run/x.sock"], "threads": 3, )"} + changed_limits +
                  R"(, "timeouts": {"idle_ms": 5, "token_request_ms": 1, "token_wait_ms": 2, "drain_ms": 0},
                                    "logging": {"level": "debug"})"));
    keep_restart_only_settings(running, next);
    CHECK(restart_only_changes(running, next).empty());
    CHECK(next.listen == running.listen);
    CHECK(next.threads == running.threads);
    CHECK(next.limits == running.limits);
    CHECK(next.timeouts.idle == running.timeouts.idle);
    CHECK(next.timeouts.token_request == 1ms);
    CHECK(next.timeouts.token_wait == 2ms);
    CHECK(next.timeouts.drain == 0ms);
    CHECK(next.logging.level == "debug");
}

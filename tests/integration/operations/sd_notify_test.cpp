// sd_notify: with NOTIFY_SOCKET set, the daemon sends READY=1 once it listens, RELOADING=1 (with
// MONOTONIC_USEC) then READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM; the test owns
// the AF_UNIX datagram socket and reads each datagram with a bounded wait.
#include "ops_fixtures.hpp"

#include <sys/un.h>

#include <cstring>
#include <optional>

using namespace aic::test;
using namespace aic::test::ops;

namespace {

class notify_socket {
public:
    // `abstract`: bind in the abstract namespace and hand the daemon "@name", as systemd may.
    notify_socket(std::filesystem::path const& dir, bool abstract) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        socklen_t len = 0;
        if (abstract) {
            std::string const name =
                "aic-proxy-test-notify-" + std::to_string(::getpid()) + "-" + dir.filename().string();
            env_value_ = "@" + name;
            REQUIRE(name.size() + 1 < sizeof addr.sun_path);
            std::memcpy(addr.sun_path + 1, name.data(), name.size());
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        } else {
            env_value_ = (dir / "notify.sock").string();
            REQUIRE(env_value_.size() < sizeof addr.sun_path);
            std::memcpy(addr.sun_path, env_value_.data(), env_value_.size());
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + env_value_.size() + 1);
        }
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr const*>(&addr), len) == 0);
    }
    ~notify_socket() { ::close(fd_); }
    notify_socket(notify_socket const&) = delete;
    notify_socket& operator=(notify_socket const&) = delete;

    std::string const& env_value() const { return env_value_; }

    // The next datagram, or nullopt after `timeout` without one.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        char buf[4096];
        auto const n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

private:
    int fd_ = -1;
    std::string env_value_;
};

void run_lifecycle(sim_process& sim, notify_socket& notify) {
    proxy_process proxy{
        sim.dir(), single_route_config(sim), "proxy", {{"NOTIFY_SOCKET", notify.env_value()}}};

    auto const ready = notify.receive();
    REQUIRE(ready);
    CHECK(*ready == "READY=1");
    // READY=1 comes after the listener is up: the port answers now.
    CHECK(proxy.client()->request("GET", "/_proxy/healthz").status == 200);

    proxy.reload();
    auto const reloading = notify.receive();
    REQUIRE(reloading);
    CHECK(reloading->rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
    CHECK(reloading->size() > std::strlen("RELOADING=1\nMONOTONIC_USEC="));
    auto const ready_again = notify.receive();
    REQUIRE(ready_again);
    CHECK(*ready_again == "READY=1");
    REQUIRE(proxy.process().wait_for_line("reload: configuration and credentials reloaded", log_wait));

    // A refused reload still ends with READY=1: the old configuration is serving.
    std::ofstream{proxy.config_path(), std::ios::trunc} << "not json";
    proxy.reload();
    auto const reloading2 = notify.receive();
    REQUIRE(reloading2);
    CHECK(reloading2->rfind("RELOADING=1\n", 0) == 0);
    auto const ready_after_refusal = notify.receive();
    REQUIRE(ready_after_refusal);
    CHECK(*ready_after_refusal == "READY=1");

    proxy.process().terminate();
    auto const stopping = notify.receive();
    REQUIRE(stopping);
    CHECK(*stopping == "STOPPING=1");
    auto const code = proxy.process().wait_for(std::chrono::seconds{60});
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    // Nothing after STOPPING=1.
    CHECK_FALSE(notify.receive(std::chrono::milliseconds{0}));
}

}  // namespace

TEST_CASE("sd_notify: READY=1, RELOADING=1 + READY=1 on SIGHUP, STOPPING=1 on SIGTERM") {
    sim_process sim;
    SECTION("a socket path") {
        notify_socket notify{sim.dir(), false};
        run_lifecycle(sim, notify);
    }
    SECTION("an abstract socket (@name)") {
        notify_socket notify{sim.dir(), true};
        run_lifecycle(sim, notify);
    }
}

TEST_CASE("sd_notify: without NOTIFY_SOCKET the daemon runs and stops normally") {
    sim_process sim;
    proxy_process proxy{sim.dir(), single_route_config(sim), "proxy", {{"NOTIFY_SOCKET", ""}}};
    CHECK(proxy.client()->request("GET", "/_proxy/healthz").status == 200);
    proxy.process().terminate();
    auto const code = proxy.process().wait_for(std::chrono::seconds{60});
    REQUIRE(code.has_value());
    CHECK(*code == 0);
}

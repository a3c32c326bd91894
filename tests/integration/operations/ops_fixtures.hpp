// Small helpers shared by the operations tests: an explicit one-route config, reading the local
// endpoints, the token the simulator saw, and "is anything still accepting on this port?".
#pragma once

#include "proxy_process.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

namespace aic::test::ops {

namespace json = boost::json;

inline constexpr auto log_wait = std::chrono::seconds{30};

// The simulator's demo config cut down to one service-account credential and one route, so the
// proxy's readiness depends on exactly one token.
inline json::object single_route_config(sim_process& sim) {
    auto config = demo_config(sim);
    auto credentials = config.at("credentials").as_object();
    config["credentials"] = json::object{{"sa", credentials.at("sa")}};
    config["routes"] = json::array{
        json::object{{"prefix", "/openidm"}, {"credential", "sa"}, {"scopes", json::array{"fr:idm:*"}}}};
    return config;
}

inline std::string account_id(json::object const& config) {
    return std::string{config.at("credentials").at("sa").at("account_id").as_string()};
}

inline std::string read_text(std::filesystem::path const& p) {
    std::ifstream in{p};
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

inline void write_text(std::filesystem::path const& p, std::string const& text) {
    std::ofstream out{p, std::ios::trunc};
    out << text;
    REQUIRE(out.good());
}

// The Bearer value the simulator's echo says it received.
inline std::string bearer_seen(http_response const& res) {
    auto const echo = json::parse(res.body).as_object();
    std::string const auth{echo.at("headers").at("authorization").as_string()};
    REQUIRE(auth.rfind("Bearer ", 0) == 0);
    return auth.substr(7);
}

struct local_answer {
    unsigned status = 0;
    std::string body;
    json::object doc;
};

inline local_answer readyz(proxy_process& proxy) {
    auto const res = proxy.client(std::chrono::seconds{10})->request("GET", "/_proxy/readyz");
    local_answer out{res.status, res.body, {}};
    out.doc = json::parse(res.body).as_object();
    return out;
}

// Rewrites the config with an /am route (fr:am:*) added to `config`'s routes, sends SIGHUP and
// waits for the daemon to report the reload.
inline void reload_with_am_route(proxy_process& proxy, json::object const& config) {
    auto next = config;
    next["routes"].as_array().push_back(
        json::object{{"prefix", "/am"}, {"credential", "sa"}, {"scopes", json::array{"fr:am:*"}}});
    proxy.rewrite_config(next);
    proxy.reload();
    auto const routes = std::to_string(next["routes"].as_array().size());
    REQUIRE(proxy.process().wait_for_line(
        "reload: configuration and credentials reloaded (" + routes + " routes)", log_wait));
}

// True when a fresh TCP connection to 127.0.0.1:port gets no HTTP answer: the connect is refused,
// or an accepted-but-abandoned connection is reset/closed before any byte comes back.
inline bool gets_no_answer(std::uint16_t port) {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool no_answer = true;
    if (::connect(fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) == 0) {
        std::string const req = "GET /_proxy/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
        (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        pollfd p{fd, POLLIN, 0};
        // Bounded: a live listener answers healthz at once; 10 s without a byte is "no answer".
        if (::poll(&p, 1, 10000) > 0) {
            char c = 0;
            no_answer = ::recv(fd, &c, 1, 0) <= 0;
        }
    } else {
        no_answer = errno == ECONNREFUSED;
    }
    ::close(fd);
    return no_answer;
}

}  // namespace aic::test::ops

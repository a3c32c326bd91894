// unix:/path listeners: the socket file gets the configured mode, a stale socket file left by a
// crashed process is replaced at start, and a live one is never stolen.
#include "proxy_process.hpp"
#include "raw_connection.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace json = boost::json;
using namespace aic::test;
using namespace aic::test::hardening;

namespace {

// The TCP listener stays so proxy_process can learn the daemon is up from its log line.
json::object with_unix_listener(sim_process& sim, std::string const& path, std::string const& mode) {
    auto config = demo_config(sim);
    json::object unix_listener{{"address", "unix:" + path}};
    if (!mode.empty()) unix_listener["mode"] = mode;
    config["listen"] = json::array{"127.0.0.1:0", unix_listener};
    return config;
}

unsigned file_mode(std::string const& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    REQUIRE(S_ISSOCK(st.st_mode));
    return static_cast<unsigned>(st.st_mode & 07777);
}

// Binds a unix socket at `path` and returns its descriptor (listening when `listen_on` is true).
int bind_unix(std::string const& path, bool listen_on) {
    int const fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) == 0);
    if (listen_on) REQUIRE(::listen(fd, 4) == 0);
    return fd;
}

void expect_served_over(std::string const& path, sim_process& sim) {
    auto const before = sim.stats().resource_requests;
    auto c = raw_connection::unix_socket(path);
    c.send(get("/openidm/managed/user"));
    auto const r = c.read_until_close();
    CHECK(r.closed);
    auto const responses = parse_responses(r.bytes);
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 200);
    CHECK(sim.stats().resource_requests == before + 1);
}

}  // namespace

TEST_CASE("a unix socket listener gets its configured mode and serves requests") {
    sim_process sim;
    auto const path = (sim.dir() / "proxy.sock").string();

    SECTION("default mode 0660") {
        proxy_process proxy{sim.dir(), with_unix_listener(sim, path, "")};
        REQUIRE(proxy.process().wait_for_line("listening on unix:" + path, std::chrono::seconds{10}));
        CHECK(file_mode(path) == 0660);
        expect_served_over(path, sim);
    }
    SECTION("mode 0600") {
        proxy_process proxy{sim.dir(), with_unix_listener(sim, path, "0600")};
        REQUIRE(proxy.process().wait_for_line("listening on unix:" + path, std::chrono::seconds{10}));
        CHECK(file_mode(path) == 0600);
        expect_served_over(path, sim);
    }
    SECTION("mode 0660 and an owning group") {
        // Our own primary group: changing to it needs no privilege.
        struct group const* g = ::getgrgid(::getgid());
        REQUIRE(g != nullptr);
        auto config = with_unix_listener(sim, path, "0660");
        config["listen"].as_array()[1].as_object()["group"] = g->gr_name;
        proxy_process proxy{sim.dir(), config};
        REQUIRE(proxy.process().wait_for_line("listening on unix:" + path, std::chrono::seconds{10}));
        CHECK(file_mode(path) == 0660);
        struct stat st {};
        REQUIRE(::lstat(path.c_str(), &st) == 0);
        CHECK(st.st_gid == ::getgid());
        expect_served_over(path, sim);
    }
    SECTION("threads = 3: every event loop accepts on the one socket; it is removed once") {
        auto config = with_unix_listener(sim, path, "0600");
        config["threads"] = 3;
        proxy_process proxy{sim.dir(), config};
        REQUIRE(proxy.process().wait_for_line("listening on unix:" + path, std::chrono::seconds{10}));
        CHECK(file_mode(path) == 0600);
        for (int i = 0; i < 12; ++i) expect_served_over(path, sim);
        proxy.process().terminate();
        auto const code = proxy.process().wait_for(std::chrono::seconds{30});
        REQUIRE(code.has_value());
        CHECK(*code == 0);
        CHECK_FALSE(std::filesystem::exists(path));
        CHECK(proxy.process().stderr_text().find("error") == std::string::npos);
    }
    SECTION("the socket file is removed on a clean stop") {
        proxy_process proxy{sim.dir(), with_unix_listener(sim, path, "0600")};
        // SIGTERM is handled once the event loop runs (a served request proves it does); before
        // that it kills the daemon with no clean-up.
        REQUIRE(proxy.process().wait_for_line("aic-proxy ready", std::chrono::seconds{30}));
        expect_served_over(path, sim);
        proxy.process().terminate();
        auto const code = proxy.process().wait_for(std::chrono::seconds{20});
        INFO("stderr: " << proxy.process().stderr_text());
        REQUIRE(code.has_value());
        CHECK(*code == 0);
        CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path)));
    }
}

TEST_CASE("the listener policy applies on a unix socket too") {
    sim_process sim;
    auto const path = (sim.dir() / "proxy.sock").string();
    proxy_process proxy{sim.dir(), with_unix_listener(sim, path, "0600")};
    REQUIRE(proxy.process().wait_for_line("listening on unix:" + path, std::chrono::seconds{10}));
    auto const before = sim.stats().resource_requests;
    for (std::string const& bytes :
         {get("/openidm/x", {}, "evil.example.com"),
          get("/openidm/x", "Origin: https://evil.example.com\r\n"), get("/iga/../openidm/x")}) {
        auto c = raw_connection::unix_socket(path);
        c.send(bytes);
        auto const responses = parse_responses(c.read_until_close().bytes);
        REQUIRE(responses.size() == 1);
        CHECK((responses[0].status == 403 || responses[0].status == 400));
    }
    CHECK(sim.stats().resource_requests == before);
}

TEST_CASE("a stale unix socket file is replaced at start") {
    sim_process sim;
    auto const path = (sim.dir() / "proxy.sock").string();
    // A crashed process leaves its socket file behind: bound, then closed without unlink.
    ::close(bind_unix(path, true));
    REQUIRE(std::filesystem::is_socket(path));

    proxy_process proxy{sim.dir(), with_unix_listener(sim, path, "0600")};
    REQUIRE(proxy.process().wait_for_line("listening on unix:" + path, std::chrono::seconds{10}));
    CHECK(file_mode(path) == 0600);
    expect_served_over(path, sim);
}

TEST_CASE("a live unix socket or a non-socket path is never replaced") {
    sim_process sim;
    auto const path = (sim.dir() / "proxy.sock").string();

    SECTION("another process listens on it") {
        int const fd = bind_unix(path, true);
        CHECK_THROWS_WITH(proxy_process(sim.dir(), with_unix_listener(sim, path, "0600")),
                          Catch::Contains("another process is listening"));
        CHECK(std::filesystem::is_socket(path));
        ::close(fd);
    }
    SECTION("a regular file is in the way") {
        { std::ofstream{path} << "not a socket"; }
        CHECK_THROWS_WITH(proxy_process(sim.dir(), with_unix_listener(sim, path, "0600")),
                          Catch::Contains("not a socket"));
        CHECK(std::filesystem::is_regular_file(path));
    }
}

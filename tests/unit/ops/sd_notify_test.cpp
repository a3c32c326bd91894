// sd_notify(): a datagram arrives on a socket bound where NOTIFY_SOCKET points.
#include "ops/sd_notify.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace {

// A bound AF_UNIX datagram socket; `name` is a path or "@abstract".
struct notify_socket {
    int fd = -1;
    explicit notify_socket(std::string const& name) {
        fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(name.size() < sizeof addr.sun_path);
        std::memcpy(addr.sun_path, name.data(), name.size());
        socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        if (name[0] == '@') {
            addr.sun_path[0] = '\0';
        } else {
            len = static_cast<socklen_t>(len + 1);
        }
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
        // A bound on a broken test, not synchronisation: the datagram is already queued when
        // sd_notify() returns true.
        timeval tv{5, 0};
        REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    }
    ~notify_socket() { ::close(fd); }
    std::string receive() const {
        std::array<char, 4096> buf{};
        auto const n = ::recv(fd, buf.data(), buf.size(), 0);
        REQUIRE(n >= 0);
        return std::string(buf.data(), static_cast<std::size_t>(n));
    }
};

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string templ = (std::filesystem::temp_directory_path() / "aic-notify-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("sd_notify sends READY=1 to a filesystem socket", "[sd_notify]") {
    temp_dir dir;
    auto const path = (dir.path / "notify").string();
    notify_socket sock(path);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    CHECK(aic::ops::sd_notify("READY=1"));
    CHECK(sock.receive() == "READY=1");
    CHECK(aic::ops::sd_notify("STOPPING=1"));
    CHECK(sock.receive() == "STOPPING=1");
    ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("sd_notify supports the abstract namespace and the reloading message", "[sd_notify]") {
    auto const name = "@aic-proxy-test-" + std::to_string(::getpid());
    notify_socket sock(name);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    auto const state = aic::ops::sd_reloading_state();
    CHECK(aic::ops::sd_notify(state));
    auto const got = sock.receive();
    CHECK(got == state);
    CHECK(got.rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
    CHECK(got.size() > std::strlen("RELOADING=1\nMONOTONIC_USEC="));
    ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("sd_notify returns false when unset or unreachable", "[sd_notify]") {
    ::unsetenv("NOTIFY_SOCKET");
    CHECK_FALSE(aic::ops::sd_notify("READY=1"));
    temp_dir dir;
    auto const missing = (dir.path / "nobody-listens").string();
    ::setenv("NOTIFY_SOCKET", missing.c_str(), 1);
    CHECK_FALSE(aic::ops::sd_notify("READY=1"));
    ::setenv("NOTIFY_SOCKET", "relative/path", 1);
    CHECK_FALSE(aic::ops::sd_notify("READY=1"));
    ::unsetenv("NOTIFY_SOCKET");
}

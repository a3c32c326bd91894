// sd_notify(): AF_UNIX SOCK_DGRAM to $NOTIFY_SOCKET, the whole protocol systemd needs from us.
#include "ops/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace aic::ops {

bool sd_notify(std::string_view state) noexcept {
    char const* const env = std::getenv("NOTIFY_SOCKET");
    if (env == nullptr || env[0] == '\0') return false;
    std::string_view const path(env);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return false;
    if (path[0] != '/' && path[0] != '@') return false;
    std::memcpy(addr.sun_path, path.data(), path.size());
    // Abstract namespace: the leading '@' stands for a NUL byte and the length is exact.
    if (path[0] == '@') addr.sun_path[0] = '\0';
    auto const len =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));

    int const fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    auto const sent =
        ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr const*>(&addr), len);
    ::close(fd);
    return sent >= 0 && static_cast<std::size_t>(sent) == state.size();
}

std::string sd_reloading_state() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    auto const usec = static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ULL +
                      static_cast<unsigned long long>(ts.tv_nsec) / 1'000ULL;
    return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace aic::ops

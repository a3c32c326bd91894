// chrono clocks on the POSIX clocks steady_clock does not offer. Each alias says why it exists.
#pragma once

#include <chrono>
#include <ctime>

namespace aic {

template <clockid_t Id>
struct posix_clock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<posix_clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept {
        timespec ts{};
        ::clock_gettime(Id, &ts);
        return time_point{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
    }
};

// Keeps counting while the host is suspended, unlike steady_clock, so a token's expiry stays true
// across a laptop's sleep.
using boot_clock = posix_clock<CLOCK_BOOTTIME>;

// The time of the last scheduler tick (1–10 ms old), read in a few nanoseconds instead of the ~25
// of CLOCK_MONOTONIC here. I/O deadlines, seconds long and read several times per request, need
// no finer time; latencies and durations that are reported use steady_clock.
using coarse_clock = posix_clock<CLOCK_MONOTONIC_COARSE>;

}  // namespace aic

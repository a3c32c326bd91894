// A chrono clock on CLOCK_MONOTONIC_COARSE: the time of the last scheduler tick (1–10 ms old),
// read in a few nanoseconds instead of the ~25 of CLOCK_MONOTONIC here. I/O deadlines, seconds
// long and read several times per request, need no finer time; latencies and durations that are
// reported use steady_clock.
#pragma once

#include <chrono>
#include <ctime>

namespace aic {

struct coarse_clock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<coarse_clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept {
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return time_point{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
    }
};

}  // namespace aic

// A chrono clock on CLOCK_BOOTTIME: unlike steady_clock it keeps counting while the host is
// suspended, so a token's expiry stays true across a laptop's sleep.
#pragma once

#include <chrono>
#include <ctime>

namespace aic {

struct boot_clock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<boot_clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept {
        timespec ts{};
        ::clock_gettime(CLOCK_BOOTTIME, &ts);
        return time_point{std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec}};
    }
};

}  // namespace aic

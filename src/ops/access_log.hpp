// One line per proxied request, on the "access" logger (text or JSON as configured).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace aic::ops {

struct access_record {
    std::string_view request_id;
    std::string_view method;
    std::string_view path;   // without the query
    std::string_view route;  // prefix, or "-" when none
    unsigned status = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::chrono::nanoseconds duration{0};
    std::chrono::nanoseconds upstream_time{0};
};

// Cheap when access logging is off or below the active level: nothing is formatted.
void log_access(access_record const& record);

}  // namespace aic::ops

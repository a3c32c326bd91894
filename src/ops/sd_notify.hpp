// The systemd notification protocol without libsystemd: one datagram to $NOTIFY_SOCKET.
#pragma once

#include <string>
#include <string_view>

namespace aic::ops {

// Sends `state` (e.g. "READY=1", "STOPPING=1", "STATUS=...") when NOTIFY_SOCKET is set (a path,
// or '@' for the abstract namespace). False when unset or on any error; never throws.
bool sd_notify(std::string_view state) noexcept;

// "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now>", as Type=notify-reload expects.
std::string sd_reloading_state();

}  // namespace aic::ops

// Which settings take a restart, and their JSON paths (see restart_only.hpp).
#include "app/restart_only.hpp"

#include <algorithm>
#include <string_view>

namespace aic::app {
namespace {

void note_if_changed(std::vector<std::string>& changed, std::string_view path, auto const& running,
                     auto const& next) {
    if (running != next) changed.emplace_back(path);
}

// The same addresses in another order bind the same sockets: that is no change.
std::vector<config::listen_address> by_text(std::vector<config::listen_address> addresses) {
    std::ranges::sort(addresses, {}, &config::listen_address::text);
    return addresses;
}

void note_changed_timeouts(std::vector<std::string>& changed, config::timeouts const& running,
                           config::timeouts const& next) {
    note_if_changed(changed, "timeouts.connect_ms", running.connect, next.connect);
    note_if_changed(changed, "timeouts.tls_handshake_ms", running.tls_handshake, next.tls_handshake);
    note_if_changed(changed, "timeouts.upstream_response_ms", running.upstream_response,
                    next.upstream_response);
    note_if_changed(changed, "timeouts.header_read_ms", running.header_read, next.header_read);
    note_if_changed(changed, "timeouts.idle_ms", running.idle, next.idle);
    note_if_changed(changed, "timeouts.body_io_ms", running.body_io, next.body_io);
    note_if_changed(changed, "timeouts.upstream_idle_ms", running.upstream_idle, next.upstream_idle);
}

void note_changed_limits(std::vector<std::string>& changed, config::limits const& running,
                         config::limits const& next) {
    note_if_changed(changed, "limits.max_header_bytes", running.max_header_bytes, next.max_header_bytes);
    note_if_changed(changed, "limits.max_body_bytes", running.max_body_bytes, next.max_body_bytes);
    note_if_changed(changed, "limits.max_connections", running.max_connections, next.max_connections);
    note_if_changed(changed, "limits.max_requests_per_connection", running.max_requests_per_connection,
                    next.max_requests_per_connection);
    note_if_changed(changed, "limits.replay_body_bytes", running.replay_body_bytes, next.replay_body_bytes);
    note_if_changed(changed, "limits.upstream_pool_size", running.upstream_pool_size,
                    next.upstream_pool_size);
    note_if_changed(changed, "limits.buffer_bytes", running.buffer_bytes, next.buffer_bytes);
}

// The running timeouts, with the reloadable ones taken from `next`.
config::timeouts with_reloadable_timeouts(config::timeouts running, config::timeouts const& next) {
    running.token_request = next.token_request;
    running.token_wait = next.token_wait;
    running.drain = next.drain;
    return running;
}

}  // namespace

std::vector<std::string> restart_only_changes(config::config const& running, config::config const& next) {
    std::vector<std::string> changed;
    note_if_changed(changed, "listen", by_text(running.listen), by_text(next.listen));
    note_if_changed(changed, "tls.ca_file", running.tls.ca_file, next.tls.ca_file);
    note_if_changed(changed, "threads", running.threads, next.threads);
    note_changed_timeouts(changed, running.timeouts, next.timeouts);
    note_changed_limits(changed, running.limits, next.limits);
    return changed;
}

// Whole sections are copied rather than the fields named above, so that a field added to one
// is kept at its running value even before it gets a name there.
void keep_restart_only_settings(config::config const& running, config::config& next) {
    next.listen = running.listen;
    next.tls = running.tls;
    next.threads = running.threads;
    next.timeouts = with_reloadable_timeouts(running.timeouts, next.timeouts);
    next.limits = running.limits;
}

}  // namespace aic::app

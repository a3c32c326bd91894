// One request relayed to its upstream: token, 100-continue, pooled connection, streamed body,
// the 401 replay and the stale-connection retry, then the streamed response. Writes the proxy's
// own JSON error when no upstream response head was relayed.
#pragma once

#include "core/net.hpp"
#include "proxy/connection.hpp"
#include "proxy/server.hpp"
#include "proxy/target.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace aic::proxy::detail {

struct relay_request {
    request_head_parser& parser;  // head read; body (if any) not yet
    beast::flat_buffer& client_buffer;
    beast::flat_buffer& upstream_buffer;  // the session's, reused: empty between requests
    std::string& head;                    // the session's, reused: room for the heads' wire text
    // The session's, empty between requests: a parser is over 200 bytes, and in forward's frame
    // (allocated for every request) it kept that frame over the 1,032 bytes that glibc's
    // per-thread cache serves.
    std::optional<relay_response_parser>& response;
    relayed_response& response_head;  // the session's: what `response` parses into, capacity kept
    checked_target const& target;
    route_binding const& binding;
    std::string_view request_id;
    std::string_view client_ip;
    bool keep_alive = false;  // whether the session offers the client another request afterwards
};

struct relay_outcome {
    unsigned status = 0;  // what the client got (499: the client went away first)
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::chrono::nanoseconds upstream_time{0};  // request sent -> response head
    bool reusable = false;                      // the client connection may carry another request
};

net::awaitable<relay_outcome> forward(server_env& env, client_stream& client, relay_request& rq,
                                      session_handle& handle, std::span<char> buffer);

}  // namespace aic::proxy::detail

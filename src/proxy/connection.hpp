// What the per-connection coroutines share with the server: the client stream type, the
// routing snapshot, the server-wide environment and the handle shutdown uses to close a session.
#pragma once

#include "config/config.hpp"
#include "core/net.hpp"
#include "net/timed_socket.hpp"
#include "net/upstream_pool.hpp"
#include "ops/metrics.hpp"
#include "proxy/errors.hpp"
#include "proxy/head_fields.hpp"
#include "proxy/response_parser.hpp"
#include "proxy/router.hpp"
#include "proxy/server.hpp"

#include <boost/asio/generic/stream_protocol.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace aic::proxy::detail {

// TCP and unix-socket clients share one stream type, so sessions are compiled once.
using client_socket = net::generic::stream_protocol::socket;
using client_stream = net_tls::timed_socket;

// The routes and policy a request starts with; update() replaces the whole snapshot, so a
// request in flight keeps its own.
struct snapshot {
    std::shared_ptr<routing_table const> table;
    router match;
    config::security security;
};

std::shared_ptr<snapshot const> make_snapshot(std::shared_ptr<routing_table const> table,
                                              config::security security);

// Lets shutdown() close an idle client at once and cut a busy one after the drain.
struct session_handle {
    client_stream* client = nullptr;
    net_tls::tls_stream* upstream = nullptr;  // while a relay holds an upstream connection
    bool idle = true;                         // between requests (no request in progress)

    void abort();
};

// Lives as long as any session (sessions hold a shared_ptr to it).
struct server_env {
    server_env(net::any_io_executor ex, net::any_io_executor home, server_settings s, ssl::context& tls,
               ops::metrics_registry& m, local_handler l);

    server_settings settings;  // timeouts and limits; security comes from the snapshot
    ops::metrics_registry& metrics;
    local_handler local;
    net::any_io_executor home;  // the first event loop: `local` runs there, whichever loop asks
    net_tls::upstream_pool pool;
    std::shared_ptr<snapshot const> current;
    bool draining = false;
};

// Serves one client connection until it closes, errs, idles out or the server drains.
// `client_ip` is empty for unix-socket clients.
net::awaitable<void> run_session(std::shared_ptr<server_env> env, client_socket socket, std::string client_ip,
                                 std::shared_ptr<session_handle> handle);

}  // namespace aic::proxy::detail

namespace aic::proxy::detail {

// Parses a head from bytes already in `buffer`, with no asynchronous operation, consuming what it
// used. http::error::need_more means the buffer does not hold the whole head yet.
template <bool isRequest>
error_code parse_buffered_head(http::basic_parser<isRequest>& parser, beast::flat_buffer& buffer) {
    error_code ec;
    while (!parser.is_header_done()) {
        std::size_t const used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec) return ec;
        if (used == 0) return http::error::need_more;
    }
    return ec;
}

// Writes one complete response of the proxy's own; false when the client is gone.
net::awaitable<bool> write_response(client_stream& client, http::response<http::string_body> res,
                                    std::chrono::milliseconds timeout);

// What a refusal needs to know of the request it answers.
struct refused_request {
    std::string_view request_id;
    unsigned version = 11;
    bool head = false;        // a HEAD request: the answer is the head alone (RFC 9110 §9.3.2)
    bool keep_alive = false;  // the client offered to keep the connection
    bool body_done = false;   // its body was read to the end
};

struct refusal_written {
    bool reusable = false;         // the connection may carry another request
    std::uint64_t body_bytes = 0;  // the JSON body's length, 0 for HEAD (for the access log)
};

// The answer to a refused or failed request: the JSON error for `r` (plus `allow` as an Allow
// header when given). The connection stays open only when the client offered keep-alive, its body
// was read to the end (unread bytes would be taken for the next request) and `r` does not call
// for a close. A HEAD request gets the same head, Content-Length included, and no body: bytes
// after it would be read as the start of the next response on a kept-alive connection.
net::awaitable<refusal_written> write_refusal(client_stream& client, refusal const& r,
                                              refused_request const& req, std::chrono::milliseconds timeout,
                                              std::string_view allow = {});

}  // namespace aic::proxy::detail

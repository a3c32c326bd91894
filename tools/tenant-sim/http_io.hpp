// Shared HTTP plumbing of the simulator's sessions: the stream type and small read/write steps.
#pragma once

#include "core/net.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace aic::sim {

using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using request_parser = http::request_parser<http::buffer_body>;

struct body_digest {
    std::uint64_t bytes = 0;
    std::string sha256_hex;
};

// Reads the rest of the body into a string; nullopt on a read error or more than `limit` bytes.
net::awaitable<std::optional<std::string>> read_body(tls_stream& s, beast::flat_buffer& buf,
                                                     request_parser& p, std::size_t limit);
// Reads and hashes the rest of the body without keeping it (uploads may be hundreds of MiB).
net::awaitable<std::optional<body_digest>> drain_body(tls_stream& s, beast::flat_buffer& buf,
                                                      request_parser& p);
// Writes one JSON response; returns whether the connection stays usable.
net::awaitable<bool> write_json(tls_stream& s, unsigned status, std::string body, unsigned version,
                                bool keep_alive);
// Never answers: keeps reading (and discarding) until the peer or stop() closes the socket.
net::awaitable<bool> hang(tls_stream& s);
net::awaitable<void> wait_ms(std::int64_t ms);

}  // namespace aic::sim

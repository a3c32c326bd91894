// Binding the configured listen addresses: TCP (v4/v6) and unix sockets. Synchronous, at start;
// a failure throws std::runtime_error naming the address.
#pragma once

#include "config/config.hpp"
#include "core/net.hpp"

#include <boost/asio/generic/stream_protocol.hpp>

#include <optional>
#include <string>
#include <vector>

namespace aic::proxy::detail {

using acceptor_type = net::basic_socket_acceptor<net::generic::stream_protocol, net::any_io_executor>;

struct bound_listener {
    acceptor_type acceptor;
    std::optional<tcp::endpoint> tcp_endpoint;  // with the real port when 0 was asked for
    std::string unix_path;                      // removed again when the server closes
    std::string text;                           // as configured, for logs
};

// One or more acceptors per address (a name may resolve to several). `share_port`: TCP sockets
// are opened with SO_REUSEPORT, so that another_listener() can add more on the same port.
std::vector<bound_listener> bind_listener(net::any_io_executor ex, config::listen_address const& address,
                                          bool share_port = false);

// A listener for another event loop on what `first` listens on: a socket of its own on the same
// TCP port (SO_REUSEPORT; the kernel spreads connections), or the same unix socket. Throws
// std::runtime_error naming the address.
bound_listener another_listener(bound_listener& first, net::any_io_executor ex);

// The TCP endpoint of a generic one, or nullopt for a unix-socket peer.
std::optional<tcp::endpoint> to_tcp(net::generic::stream_protocol::endpoint const& ep);

}  // namespace aic::proxy::detail

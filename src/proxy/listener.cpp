// Listener set-up. A unix socket path left behind by a crashed process is removed only when
// nothing answers on it, so a second instance can never steal a live socket.
#include "proxy/listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace aic::proxy::detail {

namespace {

[[noreturn]] void fail(config::listen_address const& a, std::string const& what) {
    throw std::runtime_error("listen " + (a.text.empty() ? a.host + a.path : a.text) + ": " + what);
}

// SO_REUSEPORT: one listening socket per event loop on the same address, among which the kernel
// spreads new connections by their address hash (Linux lets only the same user join the group).
using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

acceptor_type open_tcp(net::any_io_executor const& ex, tcp::endpoint const& ep,
                       config::listen_address const& a, bool share_port) {
    acceptor_type acc{ex};
    net::generic::stream_protocol::endpoint const gep{ep.data(), ep.size(), IPPROTO_TCP};
    error_code ec;
    acc.open(gep.protocol(), ec);
    if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && share_port) acc.set_option(reuse_port(true), ec);
    // Separate v4 and v6 sockets, so "0.0.0.0:p" and "[::]:p" can both be configured.
    if (!ec && ep.address().is_v6()) acc.set_option(net::ip::v6_only(true), ec);
    if (!ec) acc.bind(gep, ec);
    if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
    if (ec) fail(a, ec.message());
    return acc;
}

void remove_stale_socket(config::listen_address const& a) {
    struct stat st {};
    if (::lstat(a.path.c_str(), &st) != 0) return;  // nothing there
    if (!S_ISSOCK(st.st_mode)) fail(a, "path exists and is not a socket");
    net::io_context probe_ctx;
    net::local::stream_protocol::socket probe{probe_ctx};
    error_code ec;
    probe.connect(net::local::stream_protocol::endpoint{a.path}, ec);
    if (!ec) fail(a, "another process is listening on it");
    if (ec != net::error::connection_refused) fail(a, "cannot probe existing socket: " + ec.message());
    if (::unlink(a.path.c_str()) != 0 && errno != ENOENT)
        fail(a, std::string{"cannot remove stale socket: "} + std::strerror(errno));
}

acceptor_type open_unix(net::any_io_executor const& ex, config::listen_address const& a) {
    remove_stale_socket(a);
    net::local::stream_protocol::endpoint const lep{a.path};
    net::generic::stream_protocol::endpoint const gep{lep};
    acceptor_type acc{ex};
    error_code ec;
    acc.open(gep.protocol(), ec);
    if (!ec) acc.bind(gep, ec);
    if (ec) fail(a, ec.message());
    if (::chmod(a.path.c_str(), static_cast<mode_t>(a.mode)) != 0) {
        fail(a, std::string{"chmod: "} + std::strerror(errno));
    }
    if (!a.group.empty()) {
        struct group* g = ::getgrnam(a.group.c_str());
        if (g == nullptr) fail(a, "unknown group " + a.group);
        if (::chown(a.path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
            fail(a, std::string{"chown: "} + std::strerror(errno));
        }
    }
    acc.listen(net::socket_base::max_listen_connections, ec);
    if (ec) fail(a, ec.message());
    return acc;
}

}  // namespace

std::vector<bound_listener> bind_listener(net::any_io_executor ex, config::listen_address const& a,
                                          bool share_port) {
    std::vector<bound_listener> out;
    if (a.type == config::listen_address::kind::unix_socket) {
        out.push_back(bound_listener{open_unix(ex, a), std::nullopt, a.path, a.text});
        return out;
    }
    std::vector<tcp::endpoint> endpoints;
    error_code ec;
    auto const addr = net::ip::make_address(a.host, ec);
    if (!ec) {
        endpoints.emplace_back(addr, a.port);
    } else {
        // A name (e.g. "localhost"): bind every address it has; resolving blocks, but only at start.
        net::io_context resolve_ctx;
        tcp::resolver resolver{resolve_ctx};
        auto results = resolver.resolve(a.host, std::to_string(a.port), tcp::resolver::passive, ec);
        if (ec) fail(a, "cannot resolve " + a.host + ": " + ec.message());
        for (auto const& r : results) {
            if (std::find(endpoints.begin(), endpoints.end(), r.endpoint()) == endpoints.end()) {
                endpoints.push_back(r.endpoint());
            }
        }
    }
    for (auto const& ep : endpoints) {
        auto acc = open_tcp(ex, ep, a, share_port);
        auto bound = to_tcp(acc.local_endpoint());
        out.push_back(bound_listener{std::move(acc), bound, {}, a.text});
    }
    return out;
}

bound_listener another_listener(bound_listener& first, net::any_io_executor ex) {
    if (first.tcp_endpoint) {
        config::listen_address a;
        a.text = first.text;
        return bound_listener{open_tcp(ex, *first.tcp_endpoint, a, true), first.tcp_endpoint, {}, first.text};
    }
    // A unix socket has no port to share: the loops accept from one socket (a dup of it each).
    int const fd = ::dup(first.acceptor.native_handle());
    if (fd < 0) throw std::runtime_error("listen " + first.text + ": dup: " + std::strerror(errno));
    acceptor_type acc{std::move(ex)};
    error_code ec;
    acc.assign(first.acceptor.local_endpoint().protocol(), fd, ec);
    if (ec) {
        ::close(fd);
        throw std::runtime_error("listen " + first.text + ": " + ec.message());
    }
    // Only the first listener owns the path (and removes it at the end).
    return bound_listener{std::move(acc), std::nullopt, {}, first.text};
}

std::optional<tcp::endpoint> to_tcp(net::generic::stream_protocol::endpoint const& ep) {
    auto const family = ep.data()->sa_family;
    if (family != AF_INET && family != AF_INET6) return std::nullopt;
    tcp::endpoint out;
    if (ep.size() > out.capacity()) return std::nullopt;
    std::memcpy(out.data(), ep.data(), ep.size());
    out.resize(ep.size());
    return out;
}

}  // namespace aic::proxy::detail

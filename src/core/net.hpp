// Vocabulary shared by every module: namespace aliases and the two completion tokens.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detail/concurrency_hint.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/system/result.hpp>

namespace aic {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

template <class T>
using result = boost::system::result<T>;

// Boost 1.81 has no default completion token: always pass one of these.
inline constexpr auto use_throw = net::use_awaitable;                   // failure = exception
inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable);  // failure = [ec, ...]

// The concurrency hint of every event loop's io_context. Each loop is run by one thread, which
// alone starts and completes I/O on the loop's sockets and timers; other threads only post work
// to it. So Asio may skip its per-socket lock, taken around every operation's start and every
// readiness event, and keep the scheduler's and the registration locks, which those posts need.
// (A hint of 1 keeps every lock; it only spares cross-thread wake-ups.)
inline constexpr int one_thread_per_loop = BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO;

// Whether two executors run on the same execution context (io_context): executors of one
// context may differ in properties (work tracking, blocking) and still share its thread.
inline bool same_context(net::any_io_executor const& a, net::any_io_executor const& b) {
    return &net::query(a, net::execution::context) == &net::query(b, net::execution::context);
}

}  // namespace aic

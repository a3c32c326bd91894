// The one translation unit that compiles Asio, Asio.SSL and Beast (separate compilation keeps
// every other TU light: a Beast+TLS+coroutine TU otherwise costs ~45 s on two cores).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

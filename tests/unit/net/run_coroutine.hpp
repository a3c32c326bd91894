// The net tests' way to run one coroutine: on a fresh io_context, to completion.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>

namespace aic::test {

// Runs `body(ioc)` on a fresh io_context until everything it started is done; rethrows its failure.
template <class Body>
void run_coroutine(Body body) {
    boost::asio::io_context ioc;
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, body(ioc), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace aic::test

// Feeding bytes to a Beast parser the way the relay does, for tests that compare two parsers on
// the same bytes arriving in pieces.
#pragma once

#include "core/net.hpp"

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace aic::test {

// Feeds `wire` to `p`: first the leading `first` bytes, then `step` bytes more whenever the
// parser needs more, always everything that has arrived and is not yet consumed; `before` and
// `after` run around every put (the relay's body buffer is set before and emptied after).
// Returns the error the parser stopped on (none when it finished or the bytes ran out).
template <class Parser, class Before, class After>
beast::error_code feed_as_arriving(Parser& p, std::string_view wire, std::size_t first, std::size_t step,
                                   Before before, After after) {
    beast::error_code ec;
    std::size_t at = 0;
    std::size_t arrived = std::min(wire.size(), first);
    while (!p.is_done()) {
        before();
        at += p.put(net::buffer(wire.data() + at, arrived - at), ec);
        after();
        if (ec == http::error::need_buffer) {
            ec = {};  // the body buffer is full: the next put gets a fresh one
            continue;
        }
        bool const wants_more = ec == http::error::need_more || (!ec && at == arrived);
        if (ec && !wants_more) return ec;
        ec = {};
        if (wants_more) {
            if (arrived == wire.size()) break;
            arrived = std::min(wire.size(), arrived + step);
        }
    }
    return ec;
}

}  // namespace aic::test

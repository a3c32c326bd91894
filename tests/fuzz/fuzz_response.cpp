// Raw upstream response bytes through the relay's parser and through Beast's own, side by side.
// They must agree on the verdict, the status, the fields and the body, and the head the client
// gets from the relay's must parse back as one head. The first input byte picks where the bytes
// are split in two, as a response arrives in more than one read.
#include "field_order.hpp"
#include "parser_feed.hpp"
#include "proxy/response_parser.hpp"
#include "proxy/upstream_headers.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

using namespace aic;

// A head as the relay uses it, taken when the head is done (a chunked body's trailer fields,
// which Beast's parser adds to its message later, are not relayed).
struct head_seen {
    bool done = false;
    unsigned status = 0;
    std::string reason;
    std::vector<std::tuple<http::field, std::string, std::string>> fields;
    std::string client_head;
};

template <class Message>
void take(head_seen& seen, bool header_done, Message const& m) {
    if (seen.done || !header_done) return;
    seen.done = true;
    seen.status = m.result_int();
    seen.reason = std::string{m.reason()};
    for (auto const& f : m) seen.fields.emplace_back(f.name(), f.name_string(), f.value());
    proxy::write_client_response_head(m, "rid", proxy::client_framing{}, seen.client_head);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size < 1) return 0;
    std::string_view const wire{reinterpret_cast<char const*>(data) + 1, size - 1};
    std::size_t const split = wire.empty() ? 0 : data[0] % (wire.size() + 1);

    // No body limit, as the relay sets none: Beast counts a close-delimited body against it by the
    // bytes offered rather than taken, so a relay reading in small pieces would hit it early.
    http::response_parser<http::string_body> beast_parser;
    beast_parser.body_limit(boost::none);
    head_seen theirs;
    auto const beast_ec = test::feed_as_arriving(
        beast_parser, wire, split, wire.size(), [] {},
        [&] { take(theirs, beast_parser.is_header_done(), beast_parser.get().base()); });

    proxy::relayed_response storage;
    proxy::relay_response_parser relay{storage};
    relay.body_limit(boost::none);
    head_seen ours;
    char piece[3];
    std::string body;
    auto const relay_ec = test::feed_as_arriving(
        relay, wire, split, wire.size(),
        [&] {
            storage.body().data = piece;
            storage.body().size = sizeof piece;
        },
        [&] {
            body.append(piece, sizeof piece - storage.body().size);
            take(ours, relay.is_header_done(), storage);
        });

    if (relay_ec != beast_ec || relay.is_header_done() != beast_parser.is_header_done() ||
        relay.is_done() != beast_parser.is_done())
        __builtin_trap();
    if (!ours.done) return 0;
    // Beast moves a repeated field next to the first of its name; the relay keeps the wire order.
    // Compared with the fields of each name together, in the order they came.
    auto const by_name = [](auto fields) {
        test::group_by_name(fields, [](auto const& f) { return std::get<1>(f); });
        return fields;
    };
    if (ours.status != theirs.status || ours.reason != theirs.reason ||
        by_name(ours.fields) != by_name(theirs.fields) ||
        test::group_field_lines(ours.client_head) != test::group_field_lines(theirs.client_head) ||
        body != beast_parser.get().body())
        __builtin_trap();

    // The fields' views still hold at the end of the message, after any trailer.
    std::size_t i = 0;
    for (auto const& f : storage) {
        auto const& [id, name, value] = ours.fields[i++];
        if (f.name() != id || f.name_string() != name || f.value() != value) __builtin_trap();
    }

    // The client's head parses back as exactly one head.
    http::response_parser<http::empty_body> back;
    back.eager(false);
    beast::error_code ec;
    auto const& head = ours.client_head;
    if (back.put(net::buffer(head), ec) != head.size() || ec || !back.is_header_done()) __builtin_trap();
    return 0;
}

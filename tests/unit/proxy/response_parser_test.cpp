// relay_response_parser against Beast's own response parser, on the same bytes: the same
// verdict, the same status, reason, fields and body, and the same head for the client (up to
// where Beast moves a repeated field: next to the first of its name).
#include "proxy/response_parser.hpp"
#include "field_order.hpp"
#include "parser_feed.hpp"
#include "proxy/upstream_headers.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

using namespace aic;
namespace {

using field_tuple = std::tuple<http::field, std::string, std::string>;

struct parsed {
    beast::error_code ec;
    bool header_done = false;
    bool message_done = false;
    unsigned status = 0;
    std::string reason;
    std::vector<field_tuple> fields;
    std::string body;
    std::string client_head;  // what write_client_response_head makes of it
    bool keep_alive = false;
    bool chunked = false;
};

// What the relay uses of a head, taken when the head is done: a chunked body's trailer fields,
// which Beast's parser adds to its message later, are not part of what is relayed.
template <class Parser>
void take_head(Parser& p, parsed& out) {
    if (out.header_done || !p.is_header_done()) return;
    out.header_done = true;
    auto const& m = p.get();
    out.status = m.result_int();
    out.reason = std::string{m.reason()};
    for (auto const& f : m) out.fields.emplace_back(f.name(), f.name_string(), f.value());
    out.keep_alive = p.keep_alive();
    out.chunked = p.chunked();
    if constexpr (std::is_same_v<Parser, proxy::relay_response_parser>)
        proxy::write_client_response_head(m, "rid", proxy::client_framing{}, out.client_head);
    else
        proxy::write_client_response_head(m.base(), "rid", proxy::client_framing{}, out.client_head);
}

parsed with_beast(std::string_view wire, std::size_t step) {
    parsed out;
    http::response_parser<http::string_body> p;
    p.body_limit(boost::none);
    out.ec = test::feed_as_arriving(
        p, wire, step, step, [] {}, [&] { take_head(p, out); });
    out.message_done = p.is_done();
    if (out.header_done) out.body = p.get().body();
    return out;
}

// The relay's way: the body goes into a small buffer, piece by piece (need_buffer when full).
parsed with_relay(proxy::relayed_response& storage, std::string_view wire, std::size_t step) {
    parsed out;
    proxy::relay_response_parser p{storage};
    p.body_limit(boost::none);
    char piece[5];
    auto const before = [&] {
        storage.body().data = piece;
        storage.body().size = sizeof piece;
    };
    auto const after = [&] {
        out.body.append(piece, sizeof piece - storage.body().size);
        take_head(p, out);
    };
    out.ec = test::feed_as_arriving(p, wire, step, step, before, after);
    out.message_done = p.is_done();
    // The views stay good to the end of the message, trailer or not.
    if (out.header_done) {
        std::vector<field_tuple> now;
        for (auto const& f : p.get()) now.emplace_back(f.name(), f.name_string(), f.value());
        CHECK(now == out.fields);
    }
    return out;
}

void check_same(std::string_view wire, std::size_t step = 1 << 20) {
    INFO(wire);
    INFO("step " << step);
    proxy::relayed_response storage;
    auto const beast = with_beast(wire, step);
    auto const relay = with_relay(storage, wire, step);
    CHECK(relay.ec == beast.ec);
    CHECK(relay.header_done == beast.header_done);
    CHECK(relay.message_done == beast.message_done);
    CHECK(relay.status == beast.status);
    CHECK(relay.reason == beast.reason);
    auto const by_name = [](std::vector<field_tuple> fields) {
        test::group_by_name(fields, [](field_tuple const& f) { return std::get<1>(f); });
        return fields;
    };
    CHECK(by_name(relay.fields) == by_name(beast.fields));
    CHECK(relay.body == beast.body);
    CHECK(test::group_field_lines(relay.client_head) == test::group_field_lines(beast.client_head));
    CHECK(relay.keep_alive == beast.keep_alive);
    CHECK(relay.chunked == beast.chunked);
}

std::string many_fields(int count, std::size_t value_size) {
    std::string wire = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < count; ++i)
        wire += "X-Field-" + std::to_string(i) + ": " +
                std::string(value_size, static_cast<char>('a' + i % 26)) + "\r\n";
    return wire + "Content-Length: 3\r\n\r\nxyz";
}

}  // namespace

TEST_CASE("the relay's response parser reads what Beast's parser reads", "[response_parser]") {
    std::vector<std::string> const wires = {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 204 No Content\r\nDate: Sun, 06 Dec 2026 14:00:00 GMT\r\n\r\n",
        "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 599 Something Else Entirely\r\ncontent-length: 1\r\n\r\nx",
        "HTTP/1.0 200 OK\r\nServer: t\r\n\r\nclose-delimited body",
        "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\nX-Tab:\tv\t\r\n"
        "Content-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
        "X-Request-Id: upstream-id\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\n"
        "X-Sum: " +
            std::string(300, 's') + "\r\nX-More: m\r\n\r\n",  // trailer fields are not the head's
        "HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\nContent-Length: 0\r\n\r\n",
        many_fields(50, 120),  // the flat text grows past its first capacities while fields are kept
        // Refused, with the same error: a bad field name, a bad status, a bare LF, two lengths.
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\nb\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nX-Nul: a" + std::string(1, '\0') + "b\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-Big: " + std::string(9000, 'v') + "\r\n\r\n",  // over the head limit
    };
    for (auto const& wire : wires) {
        check_same(wire);
        check_same(wire, 7);  // bytes trickling in: need_more, then the rest
    }
}

TEST_CASE("a reused relayed_response holds only the latest head", "[response_parser]") {
    proxy::relayed_response storage;
    auto const first = with_relay(storage, many_fields(30, 200), 1 << 20);
    REQUIRE(first.fields.size() == 31);
    CHECK(first.body == "xyz");
    auto const second =
        with_relay(storage, "HTTP/1.1 201 Made\r\nX-Only: one\r\nContent-Length: 0\r\n\r\n", 1 << 20);
    CHECK(second.status == 201);
    CHECK(second.reason == "Made");
    CHECK(storage.field_count() == 2);
    std::vector<field_tuple> const expected{{http::field::unknown, "X-Only", "one"},
                                            {http::field::content_length, "Content-Length", "0"}};
    CHECK(second.fields == expected);
}

TEST_CASE("a body is read as buffer_body reads it: need_buffer once the buffer is full",
          "[response_parser]") {
    proxy::relayed_response storage;
    proxy::relay_response_parser p{storage};
    std::string const wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    beast::error_code ec;
    std::size_t at = p.put(net::buffer(wire), ec);  // the head alone
    REQUIRE_FALSE(ec);
    REQUIRE(p.is_header_done());

    // No buffer set: nothing is taken.
    storage.body().data = nullptr;
    storage.body().size = 0;
    CHECK(p.put(net::buffer(wire.data() + at, wire.size() - at), ec) == 0);
    CHECK(ec == http::error::need_buffer);

    char buf[4];
    std::string body;
    while (!p.is_done()) {
        storage.body().data = buf;
        storage.body().size = sizeof buf;
        ec = {};
        at += p.put(net::buffer(wire.data() + at, wire.size() - at), ec);
        body.append(buf, sizeof buf - storage.body().size);
        if (!p.is_done()) CHECK(ec == http::error::need_buffer);
    }
    CHECK(body == "0123456789");
    CHECK(at == wire.size());
}

TEST_CASE("the relayed fields keep the upstream's order, repeated names included", "[response_parser]") {
    proxy::relayed_response storage;
    auto const got = with_relay(
        storage,
        "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Between: b\r\nset-cookie: c=3\r\nContent-Length: 0\r\n\r\n",
        1 << 20);
    std::vector<field_tuple> const expected{{http::field::set_cookie, "Set-Cookie", "a=1"},
                                            {http::field::unknown, "X-Between", "b"},
                                            {http::field::set_cookie, "set-cookie", "c=3"},
                                            {http::field::content_length, "Content-Length", "0"}};
    CHECK(got.fields == expected);
    CHECK(got.client_head.starts_with(
        "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Between: b\r\nset-cookie: c=3\r\n"));
}

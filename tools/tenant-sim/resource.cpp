// Resource APIs: every request is counted and its headers recorded before any check, so a test
// can prove what reached the "tenant"; then auth, faults, and an echo or a streamed special body.
#include "resource.hpp"

#include "form.hpp"
#include "sim_state.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace aic::sim {
namespace {

namespace json = boost::json;

constexpr std::size_t piece_size = 64 * 1024;
constexpr std::int64_t drip_interval_ms = 200;

std::uint64_t query_number(std::map<std::string, std::string> const& q, char const* name,
                           std::uint64_t fallback) {
    auto const it = q.find(name);
    if (it == q.end()) return fallback;
    std::uint64_t v = 0;
    auto const [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    return ec == std::errc{} && ptr == it->second.data() + it->second.size() ? v : fallback;
}

std::string lower(std::string_view s) {
    std::string out{s};
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string echo_body(http::request_header<> const& req, body_digest const& digest,
                      resource_auth const& auth) {
    json::object headers;
    for (auto const& f : req) {
        auto const name = lower(f.name_string());
        if (auto* existing = headers.if_contains(name)) {
            std::string joined{existing->as_string()};
            joined += ", ";
            joined += std::string_view{f.value()};
            *existing = joined;
        } else {
            headers[name] = std::string_view{f.value()};
        }
    }
    json::array scopes;
    for (auto const& s : auth.scopes) scopes.emplace_back(s);
    json::object body;
    body["method"] = std::string_view{req.method_string()};
    body["target"] = std::string_view{req.target()};
    body["headers"] = std::move(headers);
    body["body_bytes"] = digest.bytes;
    body["body_sha256"] = digest.sha256_hex;
    body["credential"] = auth.credential;
    body["scopes"] = std::move(scopes);
    return json::serialize(body);
}

// Byte i of every /_sim/bytes body; tests recompute the digest from this formula.
char pattern_byte(std::uint64_t i) {
    return static_cast<char>((i * 31 + 7) & 0xff);
}

net::awaitable<bool> write_bytes(tls_stream& s, unsigned version, bool keep_alive, std::uint64_t n,
                                 bool chunked, bool head_only) {
    http::response<http::buffer_body> res{http::status::ok, version};
    res.set(http::field::content_type, "application/octet-stream");
    res.keep_alive(keep_alive);
    if (chunked) {
        res.chunked(true);
    } else {
        res.content_length(n);
    }
    http::response_serializer<http::buffer_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(s, sr, use_nothrow);
    if (hec) co_return false;
    if (head_only) co_return keep_alive;  // HEAD: the head announces the body, none follows
    std::vector<char> piece(piece_size);
    for (std::uint64_t off = 0; off < n;) {
        auto const k = static_cast<std::size_t>(std::min<std::uint64_t>(piece_size, n - off));
        for (std::size_t i = 0; i < k; ++i) piece[i] = pattern_byte(off + i);
        res.body().data = piece.data();
        res.body().size = k;
        res.body().more = true;
        auto [ec, w] = co_await http::async_write(s, sr, use_nothrow);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return false;
        off += k;
    }
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    auto [ec, w] = co_await http::async_write(s, sr, use_nothrow);
    co_return !ec && keep_alive;
}

// A misbehaving tenant: "101 Switching Protocols" to a request that asked for no upgrade, then the
// connection closes (whatever protocol it switched to, the sim speaks none).
net::awaitable<bool> write_unasked_upgrade(tls_stream& s) {
    static constexpr std::string_view head =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    co_await net::async_write(s, net::buffer(head), use_nothrow);
    co_return false;
}

// A response that never has a body, with a framing field all the same: 204 (304 with status=304)
// and Content-Length: `length` (0 by default), or Transfer-Encoding: chunked with chunked=1. A 204
// must carry neither field (RFC 9110 §8.6, RFC 9112 §6.1); a 304 may carry Content-Length.
net::awaitable<bool> write_no_body(tls_stream& s, bool not_modified, bool chunked, std::uint64_t length,
                                   bool keep_alive) {
    std::string head = not_modified ? "HTTP/1.1 304 Not Modified\r\n" : "HTTP/1.1 204 No Content\r\n";
    head += chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + std::to_string(length) + "\r\n";
    if (!keep_alive) head += "Connection: close\r\n";
    head += "\r\n";
    auto [ec, n] = co_await net::async_write(s, net::buffer(head), use_nothrow);
    co_return !ec && keep_alive;
}

net::awaitable<bool> write_drip(tls_stream& s, unsigned version, bool keep_alive, std::uint64_t chunks) {
    http::response<http::buffer_body> res{http::status::ok, version};
    res.set(http::field::content_type, "text/plain");
    res.keep_alive(keep_alive);
    res.chunked(true);
    http::response_serializer<http::buffer_body> sr{res};
    auto [hec, hn] = co_await http::async_write_header(s, sr, use_nothrow);
    if (hec) co_return false;
    for (std::uint64_t i = 0; i < chunks; ++i) {
        if (i > 0) co_await wait_ms(drip_interval_ms);
        std::string text = "chunk " + std::to_string(i + 1) + "\n";
        res.body().data = text.data();
        res.body().size = text.size();
        res.body().more = true;
        auto [ec, w] = co_await http::async_write(s, sr, use_nothrow);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return false;
    }
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    auto [ec, w] = co_await http::async_write(s, sr, use_nothrow);
    co_return !ec && keep_alive;
}

std::string error_json(std::string const& code) {
    json::object o;
    o["error"] = code;
    return json::serialize(o);
}

}  // namespace

net::awaitable<bool> serve_resource(tls_stream& s, beast::flat_buffer& buf, request_parser& p,
                                    sim_state& state) {
    auto const& req = p.get();
    std::vector<std::string> lines;
    for (auto const& f : req) lines.push_back(std::string{f.name_string()} + ": " + std::string{f.value()});
    state.note_resource_request(std::move(lines));

    auto const digest = co_await drain_body(s, buf, p);
    if (!digest) co_return false;
    unsigned const version = req.version();
    bool const keep = req.keep_alive();

    auto const fault = state.resource_fault();
    if (fault == "hang") co_return co_await hang(s);
    if (fault == "500") co_return co_await write_json(s, 500, error_json("server_error"), version, keep);

    std::string const target{req.target()};
    std::string const path{path_of(target)};
    auto const auth =
        state.authorize(path, req[http::field::authorization], req["X-API-Key"], req["X-API-Secret"]);
    if (auth.status != 200)
        co_return co_await write_json(s, auth.status, error_json(auth.error), version, keep);

    auto const query = parse_query(target);
    auto const ends_with = [&](std::string_view tail) {
        return path.size() >= tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
    };
    if (ends_with("/_sim/bytes")) {
        auto const chunked = query.count("chunked") && query.at("chunked") == "1";
        co_return co_await write_bytes(s, version, keep, query_number(query, "n", 0), chunked,
                                       req.method() == http::verb::head);
    }
    if (ends_with("/_sim/upgrade")) co_return co_await write_unasked_upgrade(s);
    if (ends_with("/_sim/no_body"))
        co_return co_await write_no_body(s, query_number(query, "status", 204) == 304,
                                         query.count("chunked") && query.at("chunked") == "1",
                                         query_number(query, "length", 0), keep);
    // An API that refuses every caller for reasons of its own, whatever token it is shown.
    if (ends_with("/_sim/unauthorized"))
        co_return co_await write_json(s, 401, error_json("invalid_client"), version, keep);
    if (ends_with("/_sim/drip"))
        co_return co_await write_drip(s, version, keep, query_number(query, "chunks", 3));
    if (ends_with("/_sim/slow")) co_await wait_ms(static_cast<std::int64_t>(query_number(query, "ms", 0)));
    co_return co_await write_json(s, 200, echo_body(req, *digest, auth), version, keep);
}

}  // namespace aic::sim

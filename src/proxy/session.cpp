// The per-connection loop: read a head within header_read (idle between requests), apply the
// listener policy, answer locally or relay, keep the connection while both sides allow it.
#include "core/scope_exit.hpp"
#include "ops/access_log.hpp"
#include "proxy/connection.hpp"
#include "proxy/errors.hpp"
#include "proxy/forwarder.hpp"
#include "proxy/policy.hpp"
#include "proxy/request_id.hpp"
#include "proxy/target.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace aic::proxy::detail {

namespace {

using clock = std::chrono::steady_clock;

// Status recorded when the client went away before it got an answer (nginx uses the same).
constexpr unsigned client_gone = 499;

struct request_outcome {
    unsigned status = 0;
    std::size_t metrics_slot = ops::metrics_registry::no_route;
    std::string_view route = "-";
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::chrono::nanoseconds upstream_time{0};
    bool reusable = false;
};

// A head that could not be parsed is answered and the connection closed: its framing is unknown.
bool is_parse_error(error_code const& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// `request_line_fits`: the head's first line ended within the limit. When it did not, the target
// is what was too long: 414 (RFC 9112 §3), not 431.
refusal refusal_for_read_error(error_code const& ec, bool request_line_fits) {
    if (ec == http::error::header_limit && !request_line_fits)
        return uri_too_long("request line exceeds limits.max_header_bytes");
    if (ec == http::error::header_limit)
        return header_too_large("request head exceeds limits.max_header_bytes");
    if (ec == http::error::body_limit) return payload_too_large("request body exceeds limits.max_body_bytes");
    return bad_request("malformed request: " + ec.message());
}

// The body relay buffer, allocated on a session's first relayed request and left uninitialised:
// a session that only moves small bodies touches (keeps resident) only its first page or two
// of it, which matters with hundreds of keep-alive clients.
class relay_buffer {
public:
    std::span<char> get(std::size_t size) {
        if (!data_) {
            data_ = std::make_unique_for_overwrite<char[]>(size);
            size_ = size;
        }
        return {data_.get(), size_};
    }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
};

// `so_far` is the caller's, which awaits this: a reference, so its copy takes no room in the
// caller's frame.
net::awaitable<request_outcome> refuse(server_env& env, client_stream& stream, refusal r,
                                       refused_request const& req, request_outcome const& so_far,
                                       std::string_view allow = {}) {
    request_outcome out = so_far;
    out.status = static_cast<unsigned>(r.status);
    auto const written = co_await write_refusal(stream, r, req, env.settings.timeouts.body_io, allow);
    out.reusable = written.reusable;
    out.bytes_out = written.body_bytes;
    co_return out;
}

// The local endpoints read state that lives on the first event loop (credentials, which a reload
// replaces): a session on another loop has them answered there.
net::awaitable<http::response<http::string_body>> local_response(server_env& env, std::string_view path) {
    co_return env.local(path);
}

net::awaitable<http::response<http::string_body>> answer_locally(server_env& env, std::string_view path) {
    // Not co_await inside the condition: GCC 12 miscompiles that (an illegal instruction).
    auto const here = co_await net::this_coro::executor;
    if (same_context(here, env.home)) co_return env.local(path);
    co_return co_await net::co_spawn(env.home, local_response(env, path), use_throw);
}

// A request for the proxy's own endpoints (/_proxy/...). A coroutine of its own, so the response
// it builds takes no room in the session's frame.
net::awaitable<request_outcome> serve_locally(server_env& env, client_stream& stream,
                                              request_head_parser& parser, std::string_view path,
                                              std::string_view request_id, bool keep) {
    auto const& req = parser.get();
    request_outcome out;
    std::string_view rest = path.substr(std::string_view{"/_proxy"}.size());
    auto res = co_await answer_locally(env, rest.empty() ? std::string_view{"/"} : rest);
    bool const k = keep && parser.is_done();
    res.set("X-Request-Id", request_id);
    res.version(req.version());
    res.keep_alive(k);
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();
    out.status = res.result_int();
    out.bytes_out = res.body().size();
    out.route = "/_proxy";
    out.reusable = co_await write_response(stream, std::move(res), env.settings.timeouts.body_io) && k;
    co_return out;
}

// What a parsed head asks for, decided with no waiting: refused, answered locally, or relayed on
// a route. A plain function rather than a coroutine, so a relayed request allocates no frame
// for the decision (it had cost 912 bytes per request); the session awaits the chosen path.
struct request_plan {
    std::optional<refusal> failure;
    std::string allow;  // with a 405
    checked_target target;
    std::size_t route_index = ops::metrics_registry::no_route;  // in the snapshot's table
    std::size_t metrics_slot = ops::metrics_registry::no_route;
    std::string_view route = "-";
    bool local = false;
};

request_plan plan_request(snapshot const& snap, request_head_parser::value_type const& req) {
    request_plan plan;
    if ((plan.failure = check_head(req, snap.security))) return plan;
    if ((plan.failure = check_target(req.target(), snap.security, plan.target, req.method()))) return plan;
    if (is_local_path(plan.target.path)) {
        // The local endpoints only report: a POST or DELETE there is a mistake worth saying so.
        if (req.method() != http::verb::get && req.method() != http::verb::head) {
            plan.failure = method_not_allowed("the /_proxy/ endpoints answer GET and HEAD only");
            plan.allow = "GET, HEAD";
            return plan;
        }
        plan.local = true;
        return plan;
    }
    auto const index = snap.match.match(plan.target.path);
    if (!index) {
        plan.failure = not_found("no route for " + std::string{plan.target.path});
        return plan;
    }
    plan.route_index = *index;
    plan.metrics_slot = snap.table->routes[*index].metrics_slot;
    auto const& route = snap.table->routes[*index].route;
    plan.route = route.prefix;
    if ((plan.failure = check_method(route, req.method(), req.method_string()))) {
        plan.allow = allow_header(route);
        return plan;
    }
    plan.failure = check_token_endpoint(plan.target.path);
    return plan;
}

void record(server_env& env, request_outcome const& o, std::string_view request_id, std::string_view method,
            std::string_view path, clock::time_point started) {
    auto const duration = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - started);
    env.metrics.request_done(o.metrics_slot, method, o.status, duration, o.bytes_in, o.bytes_out);
    ops::access_record rec;
    rec.request_id = request_id;
    rec.method = method;
    rec.path = path;
    rec.route = o.route;
    rec.status = o.status;
    rec.bytes_in = o.bytes_in;
    rec.bytes_out = o.bytes_out;
    rec.duration = duration;
    rec.upstream_time = o.upstream_time;
    ops::log_access(rec);
}

// obs-fold (a header line starting with SP or HTAB) is refused: Beast would silently unfold it, and
// another parser in front of or behind the proxy may not, which is a way to smuggle a header.
bool has_obs_fold(std::string_view head) noexcept {
    for (std::size_t i = head.find('\n'); i != std::string_view::npos; i = head.find('\n', i + 1))
        if (i + 1 < head.size() && (head[i + 1] == ' ' || head[i + 1] == '\t')) return true;
    return false;
}

// RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request line; clients
// that end a POST body with an extra CRLF send one. Up to this many are dropped; the parser
// refuses more.
constexpr int max_leading_empty_lines = 2;

// Drops the empty lines at the front of `buffer` that `budget` still allows. False while the
// buffer holds nothing else yet (empty, or a lone CR that may begin another CRLF): read on.
bool skip_empty_lines(beast::flat_buffer& buffer, int& budget) {
    for (;;) {
        std::string_view const data{static_cast<char const*>(buffer.data().data()), buffer.size()};
        if (budget == 0) return !data.empty();
        if (data.starts_with("\r\n")) {
            buffer.consume(2);
            --budget;
            continue;
        }
        return !data.empty() && data != "\r";
    }
}

// Reads until the buffer holds a whole request head, or more than `limit` bytes without one (the
// parser then reports header_limit). Beast 1.81 applies header_limit to each put() call rather than
// to the message, so a head parsed as it trickles in could grow without bound.
// `empty_lines` is how many more leading empty lines may be dropped.
net::awaitable<error_code> read_whole_head(client_stream& stream, beast::flat_buffer& buffer,
                                           std::size_t limit, int& empty_lines, bool& folded) {
    std::size_t scanned = 0;
    bool started = false;
    for (;;) {
        if (!started) started = skip_empty_lines(buffer, empty_lines);
        std::string_view const data{static_cast<char const*>(buffer.data().data()), buffer.size()};
        auto const end = data.find("\r\n\r\n", scanned < 3 ? 0 : scanned - 3);
        if (end != std::string_view::npos) {
            folded = has_obs_fold(data.substr(0, end + 2));
            co_return error_code{};
        }
        if (data.size() > limit) co_return error_code{};
        scanned = data.size();
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
        if (ec) co_return ec;
        buffer.commit(n);
    }
}

std::string_view path_of(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

net::awaitable<bool> write_response(client_stream& client, http::response<http::string_body> res,
                                    std::chrono::milliseconds timeout) {
    client.expires_after(timeout);
    auto [ec, n] = co_await http::async_write(client, res, use_nothrow);
    co_return !ec;
}

net::awaitable<refusal_written> write_refusal(client_stream& client, refusal const& r,
                                              refused_request const& req, std::chrono::milliseconds timeout,
                                              std::string_view allow) {
    bool const keep = req.keep_alive && req.body_done && !closes_connection(r);
    auto res = error_response(r, req.request_id, req.version, keep);
    if (!allow.empty()) res.set(http::field::allow, allow);
    if (req.head) res.body().clear();  // after prepare_payload: Content-Length stays the GET's
    refusal_written out;
    out.body_bytes = res.body().size();
    out.reusable = co_await write_response(client, std::move(res), timeout) && keep;
    co_return out;
}

net::awaitable<void> run_session(std::shared_ptr<server_env> env, client_socket socket, std::string client_ip,
                                 std::shared_ptr<session_handle> handle) {
    client_stream stream{std::move(socket)};
    handle->client = &stream;
    scope_exit detach{[&] {
        handle->client = nullptr;
        handle->upstream = nullptr;
    }};
    auto const& to = env->settings.timeouts;
    auto const& lim = env->settings.limits;
    beast::flat_buffer buffer;
    relay_buffer relay;
    beast::flat_buffer upstream_buffer;
    std::string head;        // wire text of the heads relayed; its capacity outlives each request
    std::string request_id;  // likewise
    std::optional<relay_response_parser> response;
    relayed_response response_head;  // its text's capacity outlives each response, like `head`'s
    std::uint32_t served = 0;

    for (;;) {
        handle->idle = true;
        if (env->draining) break;
        // An empty line left after the last request's body still counts as waiting for the next.
        int empty_lines = max_leading_empty_lines;
        skip_empty_lines(buffer, empty_lines);
        // Waiting for a next request is bounded by `idle`; once its first byte is here, the whole
        // head must arrive within header_read (a new connection gets header_read from the start).
        if (buffer.size() == 0) {
            stream.expires_after(served == 0 ? to.header_read : to.idle);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
            if (ec) break;
            buffer.commit(n);
        }
        handle->idle = false;
        auto const started = clock::now();

        request_head_parser parser;
        parser.header_limit(lim.max_header_bytes);
        if (lim.max_body_bytes != 0) {
            parser.body_limit(lim.max_body_bytes);
        } else {
            parser.body_limit(boost::none);
        }
        stream.expires_after(to.header_read);
        bool folded = false;
        if (auto hec = co_await read_whole_head(stream, buffer, lim.max_header_bytes, empty_lines, folded))
            break;
        if (folded) {
            auto const id = make_request_id({});
            request_outcome o;
            auto r = bad_request("obs-fold (a header line starting with whitespace) in request head");
            o.status = static_cast<unsigned>(r.status);
            co_await write_response(stream, error_response(r, id, 11, false), to.body_io);
            record(*env, o, id, "-", "-", started);
            break;
        }
        // The whole head is in `buffer` (read_whole_head): parse it in place; need_more means it
        // was not whole after all, and Beast reads on.
        error_code ec = parse_buffered_head(parser, buffer);
        if (ec == http::error::need_more) {
            auto [rec, n] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
            ec = rec;
        }
        if (ec) {
            if (ec == http::error::header_limit || ec == http::error::body_limit || is_parse_error(ec)) {
                auto const id = make_request_id({});
                request_outcome o;
                // The parser has the target once it has read the whole request line: with none,
                // that line is what ran over the limit.
                auto r = refusal_for_read_error(ec, !parser.get().target().empty());
                o.status = static_cast<unsigned>(r.status);
                co_await write_response(stream, error_response(r, id, 11, false), to.body_io);
                record(*env, o, id, "-", "-", started);
            }
            break;  // EOF, timeout, reset: nothing to answer
        }
        ++served;
        auto const& req = parser.get();
        // HTTP/1.0 clients get close-delimited answers; keep-alive is for 1.1 only.
        bool const keep = req.version() >= 11 && parser.keep_alive() &&
                          served < lim.max_requests_per_connection && !env->draining;
        make_request_id(req["X-Request-Id"], request_id);
        // Views into the parsed head, which outlives record() below: no copies per request.
        std::string_view const method = req.method_string();
        std::string_view const path = path_of(req.target());

        // The request keeps this snapshot's routes even if update() runs meanwhile: the plan and
        // the relay point into it.
        auto const snap = env->current;
        request_outcome o;
        try {
            auto plan = plan_request(*snap, req);
            o.metrics_slot = plan.metrics_slot;
            o.route = plan.route;
            if (plan.failure) {
                refused_request const refused{request_id, req.version(), req.method() == http::verb::head,
                                              keep, parser.is_done()};
                o = co_await refuse(*env, stream, std::move(*plan.failure), refused, o, plan.allow);
            } else if (plan.local) {
                o = co_await serve_locally(*env, stream, parser, plan.target.path, request_id, keep);
            } else {
                auto const& binding = snap->table->routes[plan.route_index];
                auto const body_buffer = relay.get(std::max<std::size_t>(lim.buffer_bytes, 4096));
                relay_request rq{parser,      buffer,  upstream_buffer, head,      response, response_head,
                                 plan.target, binding, request_id,      client_ip, keep};
                auto const relayed = co_await forward(*env, stream, rq, *handle, body_buffer);
                o.status = relayed.status;
                o.bytes_in = relayed.bytes_in;
                o.bytes_out = relayed.bytes_out;
                o.upstream_time = relayed.upstream_time;
                o.reusable = relayed.reusable;
            }
        } catch (std::exception const& e) {
            spdlog::error("request {}: {}", request_id, e.what());
            o.status = 500;
            o.reusable = false;
        }
        if (o.status == 0) o.status = client_gone;
        record(*env, o, request_id, method, path, started);
        if (!o.reusable || env->draining) break;
    }
    error_code ignored;
    stream.socket().shutdown(net::socket_base::shutdown_send, ignored);
    stream.close();
}

}  // namespace aic::proxy::detail

// The relay of one request. Retries are bounded: one replay after a 401 (fresh token, when the
// cache replaces the refused one and the body was kept), one retry on a fresh connection when a
// reused one turns out closed before any response byte.
#include "proxy/forwarder.hpp"

#include "core/scope_exit.hpp"
#include "net/tls_sessions.hpp"
#include "proxy/body_relay.hpp"
#include "proxy/errors.hpp"
#include "proxy/upstream_headers.hpp"

#include <memory>
#include <string>

namespace aic::proxy::detail {

namespace {

using clock = std::chrono::steady_clock;

// A 401 body or similar is read only to keep the connection; larger ones cost more than a reconnect.
constexpr std::size_t max_discarded_body = 64 * 1024;

bool idempotent(http::verb v) {
    return v == http::verb::get || v == http::verb::head || v == http::verb::put ||
           v == http::verb::delete_ || v == http::verb::options;
}

bool wants_continue(request_head const& h) {
    auto it = h.find(http::field::expect);
    return it != h.end() && beast::iequals(it->value(), "100-continue");
}

std::string describe(auth::token_error const& e) {
    return "no token for credential \"" + e.credential + "\" " + auth::describe_failure(e);
}

// How a connection the upstream closed while it sat in the pool shows up on first use.
bool looks_stale(error_code const& ec) {
    return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
           ec == ssl::error::stream_truncated;
}

// Where a refusal waits for the one exit that answers it: on the heap, as failures are rare, and a
// refusal in forward's frame (64 bytes with its optional) would be paid for by every request.
using failure_slot = std::unique_ptr<refusal>;

net::awaitable<relay_outcome> answer(client_stream& client, relay_request const& rq, refusal r,
                                     std::chrono::milliseconds timeout, relay_outcome out) {
    out.status = static_cast<unsigned>(r.status);
    auto const& req = rq.parser.get();
    refused_request const refused{rq.request_id, req.version(), req.method() == http::verb::head,
                                  rq.keep_alive, rq.parser.is_done()};
    auto const written = co_await write_refusal(client, r, refused, timeout);
    out.reusable = written.reusable;
    out.bytes_out = written.body_bytes;
    co_return out;
}

// The slow path to a token (none valid at hand, or the one sent was refused), in a frame of its
// own: forward's frame, allocated for every request, need not hold room for the wait's result.
net::awaitable<bool> wait_for_grant(auth::authenticator& auth, auth::grant& grant, failure_slot& failure) {
    auto granted = co_await auth.acquire();
    if (!granted) {
        failure = std::make_unique<refusal>(no_token(describe(granted.error())));
        co_return false;
    }
    grant = std::move(*granted);
    co_return true;
}

// A valid token at hand into `grant`, with no coroutine frame and no slot in the caller's.
bool take_ready_grant(auth::authenticator& auth, auth::grant& grant) {
    auto ready = auth.try_acquire();
    if (!ready) return false;
    grant = std::move(*ready);
    return true;
}

// Tells a client holding back its upload (Expect: 100-continue) to send it; false when it is gone.
net::awaitable<bool> invite_body(client_stream& client, std::chrono::milliseconds timeout) {
    static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
    client.expires_after(timeout);
    auto [ec, n] = co_await net::async_write(client, net::buffer(continue_line), use_nothrow);
    co_return !ec;
}

// A new upstream connection, in a frame of its own for the same reason: most requests take a
// pooled one. nullptr with `failure` set when it cannot be had.
net::awaitable<std::unique_ptr<net_tls::tls_stream>> open_connection(server_env& env,
                                                                     route_binding const& binding,
                                                                     failure_slot& failure) {
    auto conn = co_await env.pool.connect(binding.upstream);
    if (!conn) {
        auto const& failed = conn.error();
        env.metrics.upstream_error(failed.phase == net_tls::connect_phase::handshake ? "tls" : "connect");
        failure = std::make_unique<refusal>(bad_gateway(failed.detail));
        co_return nullptr;
    }
    env.metrics.upstream_connection_opened(net_tls::session_resumed((*conn)->native_handle()));
    co_return std::move(*conn);
}

}  // namespace

net::awaitable<relay_outcome> forward(server_env& env, client_stream& client, relay_request& rq,
                                      session_handle& handle, std::span<char> buffer) {
    relay_outcome out;
    auto const& to = env.settings.timeouts;
    auto const& creq = rq.parser.get();
    unsigned const version = creq.version();
    auto const& binding = rq.binding;

    bool const retryable_method = idempotent(creq.method());
    // A request without a body whose method may be sent twice is resent on a fresh connection if
    // a pooled one turns out closed (below), so a recently used connection is taken unchecked.
    auto const reuse_check = retryable_method && rq.parser.is_done() ? net_tls::reuse_check::after_a_pause
                                                                     : net_tls::reuse_check::always;
    replay_store replay{env.settings.limits.replay_body_bytes};
    bool replayed_401 = false;
    bool retried_stale = false;
    bool fresh_only = false;
    // Every refusal leaves through the one answer at the end (`goto refused`), and the waits a
    // healthy request skips (token, new connection, 100-continue) are coroutines of their own.
    // This frame is allocated for every request, and GCC gives every local and each co_await
    // expression's temporaries (a refusal, the pieces of its message) slots of their own in it:
    // with an answer at each failure it was 3.9 KiB, then 1.3 KiB (heaptrack), now about 1,020
    // bytes with the response parser and the refusal kept elsewhere: fewer cache lines touched per
    // request, and a size glibc's per-thread cache serves (up to 1,032 bytes; a probe on memalign
    // shows the size, bench/RESULTS.md). Splitting the loop into a second coroutine cost more than
    // it saved (session 10).
    failure_slot failure;
    // The response parser is the session's, and serves one message: gone on the way out.
    scope_exit drop_response{[&rq] { rq.response.reset(); }};

    // Steady state: a valid token is at hand and no coroutine frame is spent on asking for it.
    auth::grant grant;
    if (!take_ready_grant(*binding.auth, grant)) {
        bool const granted = co_await wait_for_grant(*binding.auth, grant, failure);
        if (!granted) goto refused;
    }

    // Only now, after every check passed, may the client start an upload it was holding back.
    if (!rq.parser.is_done() && version >= 11 && wants_continue(creq)) {
        bool const invited = co_await invite_body(client, to.body_io);
        if (!invited) {
            out.status = 499;
            co_return out;
        }
    }

    for (;;) {
        rq.head.clear();
        write_upstream_head(
            creq, rq.target.origin_form,
            forward_context{binding.authority, rq.client_ip, creq[http::field::host], rq.request_id},
            binding.route, *grant.headers, rq.head);

        // Steady state: a kept-alive connection is at hand, taken with no coroutine frame.
        std::unique_ptr<net_tls::tls_stream> stream;
        if (!fresh_only) stream = env.pool.try_take(binding.upstream, reuse_check);
        bool const reused = stream != nullptr;
        if (!stream) {
            stream = co_await open_connection(env, binding, failure);
            if (!stream) goto refused;
        }
        handle.upstream = stream.get();
        scope_exit forget{[&] { handle.upstream = nullptr; }};
        bool const may_retry = reused && retryable_method && !retried_stale;

        auto const sent_at = clock::now();
        relay_result sent;
        if (!send_request_now(*stream, rq.head,
                              !rq.parser.is_done() || rq.parser.chunked() || !replay.data().empty(), sent))
            sent = co_await send_request(*stream, rq.head, rq.parser.chunked(), client, rq.client_buffer,
                                         rq.parser, replay, buffer, to.body_io, out.bytes_in);
        if (sent.status == relay_status::client_failed) {
            // A body whose framing breaks (bad chunk size, ...) is answered, not dropped silently;
            // the upstream gets a truncated message on a connection that is then closed.
            if (sent.ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
                sent.ec != http::error::end_of_stream && sent.ec != http::error::partial_message) {
                failure =
                    std::make_unique<refusal>(bad_request("malformed request body: " + sent.ec.message()));
                goto refused;
            }
            out.status = 499;
            co_return out;
        }
        if (sent.status == relay_status::body_too_large) {
            failure =
                std::make_unique<refusal>(payload_too_large("request body exceeds limits.max_body_bytes"));
            goto refused;
        }
        if (sent.status == relay_status::upstream_failed) {
            if (may_retry && replay.complete()) {
                retried_stale = fresh_only = true;
                continue;
            }
            env.metrics.upstream_error("io");
            failure = std::make_unique<refusal>(
                bad_gateway("sending the request to " + binding.authority + " failed: " + sent.ec.message()));
            goto refused;
        }

        auto& rp = rq.response;
        auto& up_buffer = rq.upstream_buffer;
        up_buffer.consume(up_buffer.size());
        error_code ec;
        do {  // interim 1xx answers (the proxy itself answered any Expect) are not relayed; 101 ends it
            rp.emplace(rq.response_head);
            rp->body_limit(boost::none);
            if (creq.method() == http::verb::head) rp->skip(true);
            stream->expires_after(to.upstream_response);
            ec = co_await read_response_head(*stream, up_buffer, *rp);
        } while (!ec && rp->get().result_int() / 100 == 1 &&
                 rp->get().result() != http::status::switching_protocols);

        if (ec) {
            if (ec == beast::error::timeout) {
                env.metrics.upstream_error("timeout");
                failure = std::make_unique<refusal>(
                    gateway_timeout("no response from " + binding.authority + " within " +
                                    std::to_string(to.upstream_response.count()) + " ms"));
                goto refused;
            }
            if (may_retry && replay.complete() && !rp->got_some() && looks_stale(ec)) {
                retried_stale = fresh_only = true;
                continue;
            }
            env.metrics.upstream_error("io");
            failure = std::make_unique<refusal>(
                bad_gateway("reading the response from " + binding.authority + " failed: " + ec.message()));
            goto refused;
        }
        out.upstream_time = clock::now() - sent_at;
        if (rp->get().result() == http::status::switching_protocols) {
            // Every request goes out without Upgrade, so this answers nothing that was asked. Relayed,
            // it would tell the client another protocol follows on a connection that stays HTTP.
            env.metrics.upstream_error("other");
            failure = std::make_unique<refusal>(bad_gateway(
                binding.authority + " answered 101 Switching Protocols, and no upgrade was asked for"));
            goto refused;
        }

        auto& res = rp->get();
        // Framing from the parser's flags, which it set while parsing: the message's own accessors
        // would search the fields again.
        bool const upstream_keep = rp->keep_alive();

        // The token was refused (revoked, or expired early): drop it and replay once with a new one,
        // unless the cache keeps it (a 401 forced a refresh moments ago): then the 401 is the answer.
        // A body too large to have been kept cannot be replayed, and its 401 is the answer too; the
        // token is dropped all the same (bounded like any other), or a client that only uploads
        // would be sent the revoked token for good.
        if (res.result() == http::status::unauthorized && grant.token && !replayed_401 &&
            binding.auth->reject(grant.token) == auth::rejection::replaced && replay.complete()) {
            replayed_401 = true;
            bool const clean =
                co_await discard_body(*stream, up_buffer, *rp, buffer, to.body_io, max_discarded_body);
            if (clean && upstream_keep && !rp->need_eof() && up_buffer.size() == 0) {
                handle.upstream = nullptr;
                env.pool.release(binding.upstream, std::move(stream));
            }
            bool const granted = co_await wait_for_grant(*binding.auth, grant, failure);
            if (!granted) goto refused;
            fresh_only = false;
            continue;
        }

        client_framing framing{.version = version, .keep_alive = rq.keep_alive};
        bool chunked_out = rp->chunked();
        if (!rp->is_done()) {
            if (version < 11) {
                // An HTTP/1.0 client cannot read chunks: the body ends when the connection does.
                framing.drop_transfer_encoding = rp->chunked();
                chunked_out = false;
                framing.keep_alive = false;
            } else if (!rp->content_length() && !rp->chunked()) {
                // A close-delimited upstream body; chunks keep the client connection.
                framing.add_chunked = chunked_out = true;
            }
        }
        out.status = res.result_int();
        rq.head.clear();
        write_client_response_head(res, rq.request_id, framing, rq.head);

        auto relayed = co_await relay_response(*stream, up_buffer, *rp, client, rq.head, chunked_out, buffer,
                                               to.body_io, out.bytes_out);
        if (relayed.status != relay_status::ok) {
            // The head is out: all that is left is to cut both connections.
            if (relayed.status == relay_status::upstream_failed) env.metrics.upstream_error("io");
            out.reusable = false;
            co_return out;
        }
        if (upstream_keep && rp->is_done() && !rp->need_eof() && up_buffer.size() == 0) {
            handle.upstream = nullptr;
            env.pool.release(binding.upstream, std::move(stream));
        }
        out.reusable = framing.keep_alive;
        co_return out;
    }

refused:
    co_return co_await answer(client, rq, std::move(*failure), to.body_io, out);
}

}  // namespace aic::proxy::detail

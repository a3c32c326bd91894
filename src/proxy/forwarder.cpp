// The relay of one request. Retries are bounded: one replay after a 401 (fresh token), one retry
// on a fresh connection when a reused one turns out closed before any response byte.
#include "proxy/forwarder.hpp"

#include "core/scope_exit.hpp"
#include "proxy/body_relay.hpp"
#include "proxy/errors.hpp"
#include "proxy/upstream_headers.hpp"

#include <optional>
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

net::awaitable<relay_outcome> answer(client_stream& client, relay_request const& rq, refusal r,
                                     std::chrono::milliseconds timeout, relay_outcome out) {
    out.status = static_cast<unsigned>(r.status);
    out.reusable = co_await write_refusal(client, r, rq.request_id, rq.parser.get().version(), rq.keep_alive,
                                          rq.parser.is_done(), timeout);
    co_return out;
}

}  // namespace

net::awaitable<relay_outcome> forward(server_env& env, client_stream& client, relay_request& rq,
                                      session_handle& handle, std::span<char> buffer) {
    relay_outcome out;
    auto const& to = env.settings.timeouts;
    auto const& creq = rq.parser.get();
    unsigned const version = creq.version();
    auto const& binding = rq.binding;

    // Steady state: a valid token is at hand and no coroutine frame is spent on asking for it.
    auth::grant grant;
    if (auto ready = binding.auth->try_acquire()) {
        grant = std::move(*ready);
    } else {
        auto granted = co_await binding.auth->acquire();
        if (!granted)
            co_return co_await answer(client, rq, no_token(describe(granted.error())), to.body_io, out);
        grant = *granted;
    }

    // Only now, after every check passed, may the client start an upload it was holding back.
    if (!rq.parser.is_done() && version >= 11 && wants_continue(creq)) {
        static constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
        client.expires_after(to.body_io);
        auto [ec, n] = co_await net::async_write(client, net::buffer(continue_line), use_nothrow);
        if (ec) {
            out.status = 499;
            co_return out;
        }
    }

    bool const retryable_method = idempotent(creq.method());
    // A request without a body whose method may be sent twice is resent on a fresh connection if
    // a pooled one turns out closed (below), so a recently used connection is taken unchecked.
    auto const reuse_check = retryable_method && rq.parser.is_done() ? net_tls::reuse_check::after_a_pause
                                                                     : net_tls::reuse_check::always;
    replay_store replay{env.settings.limits.replay_body_bytes};
    bool replayed_401 = false;
    bool retried_stale = false;
    bool fresh_only = false;
    std::string_view const client_host = creq[http::field::host];  // creq outlives the relay
    std::string const& authority = binding.authority;

    std::string& head = rq.head;
    for (;;) {
        forward_context const ctx{authority, rq.client_ip, client_host, rq.request_id};
        head.clear();
        write_upstream_head(creq, rq.target.origin_form, ctx, binding.route, *grant.headers, head);

        // Steady state: a kept-alive connection is at hand, taken with no coroutine frame.
        std::unique_ptr<net_tls::tls_stream> stream;
        if (!fresh_only) stream = env.pool.try_take(binding.upstream, reuse_check);
        bool const reused = stream != nullptr;
        if (!stream) {
            auto conn = co_await env.pool.connect(binding.upstream);
            if (!conn) {
                auto const& failure = conn.error();
                env.metrics.upstream_error(failure.phase == net_tls::connect_phase::handshake ? "tls"
                                                                                              : "connect");
                co_return co_await answer(client, rq, bad_gateway(failure.detail), to.body_io, out);
            }
            env.metrics.upstream_connection_opened();
            stream = std::move(*conn);
        }
        handle.upstream = stream.get();
        scope_exit forget{[&] { handle.upstream = nullptr; }};
        bool const may_retry = reused && retryable_method && !retried_stale;

        auto const sent_at = clock::now();
        auto sent = co_await send_request(*stream, head, rq.parser.chunked(), client, rq.client_buffer,
                                          rq.parser, replay, buffer, to.body_io, out.bytes_in);
        if (sent.status == relay_status::client_failed) {
            // A body whose framing breaks (bad chunk size, ...) is answered, not dropped silently;
            // the upstream gets a truncated message on a connection that is then closed.
            if (sent.ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
                sent.ec != http::error::end_of_stream && sent.ec != http::error::partial_message) {
                co_return co_await answer(
                    client, rq, bad_request("malformed request body: " + sent.ec.message()), to.body_io, out);
            }
            out.status = 499;
            co_return out;
        }
        if (sent.status == relay_status::body_too_large) {
            co_return co_await answer(
                client, rq, payload_too_large("request body exceeds limits.max_body_bytes"), to.body_io, out);
        }
        if (sent.status == relay_status::upstream_failed) {
            if (may_retry && replay.complete()) {
                retried_stale = fresh_only = true;
                continue;
            }
            env.metrics.upstream_error("io");
            co_return co_await answer(
                client, rq,
                bad_gateway("sending the request to " + authority + " failed: " + sent.ec.message()),
                to.body_io, out);
        }

        std::optional<response_head_parser> rp;
        auto& up_buffer = rq.upstream_buffer;
        up_buffer.consume(up_buffer.size());
        error_code ec;
        do {  // interim 1xx answers (the proxy itself answered any Expect) are not relayed
            rp.emplace();
            rp->body_limit(boost::none);
            if (creq.method() == http::verb::head) rp->skip(true);
            stream->expires_after(to.upstream_response);
            ec = co_await read_response_head(*stream, up_buffer, *rp);
        } while (!ec && rp->get().result_int() / 100 == 1 &&
                 rp->get().result() != http::status::switching_protocols);

        if (ec) {
            if (ec == beast::error::timeout) {
                env.metrics.upstream_error("timeout");
                co_return co_await answer(
                    client, rq,
                    gateway_timeout("no response from " + authority + " within " +
                                    std::to_string(to.upstream_response.count()) + " ms"),
                    to.body_io, out);
            }
            if (may_retry && replay.complete() && !rp->got_some() && looks_stale(ec)) {
                retried_stale = fresh_only = true;
                continue;
            }
            env.metrics.upstream_error("io");
            co_return co_await answer(
                client, rq,
                bad_gateway("reading the response from " + authority + " failed: " + ec.message()),
                to.body_io, out);
        }
        out.upstream_time = clock::now() - sent_at;

        auto& res = rp->get();
        // Framing from the parser's flags, which it set while parsing: the message's own accessors
        // would search the fields again.
        bool const upstream_keep = rp->keep_alive();

        // The token was refused (revoked, or expired early): drop it and replay once with a new one.
        if (res.result() == http::status::unauthorized && grant.token && !replayed_401 && replay.complete()) {
            replayed_401 = true;
            bool const clean =
                co_await discard_body(*stream, up_buffer, *rp, buffer, to.body_io, max_discarded_body);
            if (clean && upstream_keep && !rp->need_eof() && up_buffer.size() == 0) {
                handle.upstream = nullptr;
                env.pool.release(binding.upstream, std::move(stream));
            }
            binding.auth->reject(grant.token);
            auto again = co_await binding.auth->acquire();
            if (!again)
                co_return co_await answer(client, rq, no_token(describe(again.error())), to.body_io, out);
            grant = *again;
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
        head.clear();
        write_client_response_head(res, rq.request_id, framing, head);

        auto relayed = co_await relay_response(*stream, up_buffer, *rp, client, head, chunked_out, buffer,
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
}

}  // namespace aic::proxy::detail

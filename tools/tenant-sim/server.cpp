// The listener and per-connection sessions: TLS handshake, HTTP/1.1 keep-alive loop, routing to
// the control API, the token endpoints or the resource APIs. One io thread runs everything, so
// the connection registry needs no lock; other threads reach it through net::post.
#include "sim_server.hpp"

#include "crypto.hpp"
#include "form.hpp"
#include "http_io.hpp"
#include "resource.hpp"
#include "sim_state.hpp"

#include <openssl/ssl.h>

#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include <future>
#include <map>
#include <thread>

namespace aic::sim {
namespace {

namespace json = boost::json;

constexpr std::size_t token_body_limit = 1024 * 1024;
constexpr auto handshake_timeout = std::chrono::seconds{30};

struct connection {
    tls_stream* stream = nullptr;
    bool idle = false;  // waiting for the next request with nothing of it received yet
    // close_idle() came while a response was still going out: the client may already hold the
    // whole response, so the connection counts as idle and closes instead of reading again.
    bool close_when_done = false;
};

std::string stats_json(counters const& c) {
    json::object o;
    o["token_requests"] = c.token_requests;
    o["tokens_issued"] = c.tokens_issued;
    o["token_errors"] = c.token_errors;
    o["resource_requests"] = c.resource_requests;
    o["tls_connections"] = c.tls_connections;
    o["tls_resumed"] = c.tls_resumed;
    return json::serialize(o);
}

std::optional<token_fault> parse_fault(std::string const& name) {
    if (name == "none" || name.empty()) return token_fault::none;
    if (name == "http_500") return token_fault::http_500;
    if (name == "hang") return token_fault::hang;
    if (name == "garbage_json") return token_fault::garbage_json;
    if (name == "refuse_all") return token_fault::refuse_all;
    return std::nullopt;
}

void close_socket(tls_stream& s) {
    error_code ignored;
    auto& sock = beast::get_lowest_layer(s).socket();
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
}

}  // namespace

struct sim_server::impl {
    explicit impl(std::shared_ptr<sim_state> st) : state(std::move(st)) {}

    std::shared_ptr<sim_state> state;
    ssl::context ssl_ctx{ssl::context::tls_server};
    std::map<std::uint64_t, connection*> conns;  // io thread only
    std::uint64_t next_id = 0;
    std::uint16_t bound_port = 0;
    std::thread thread;
    bool running = false;
    // Last: destroyed first, taking the suspended sessions (which reference the members above) with it.
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};

    // Runs f on the io thread and waits for it (or runs it inline when already there).
    template <class F>
    void on_io_thread(F f) {
        if (!running || ioc.get_executor().running_in_this_thread()) {
            f();
            return;
        }
        std::promise<void> done;
        auto fut = done.get_future();
        net::post(ioc, [&] {
            f();
            done.set_value();
        });
        fut.wait();
    }

    void close_idle() {
        for (auto const& [id, c] : conns) {
            if (c->idle) {
                close_socket(*c->stream);
            } else {
                c->close_when_done = true;
            }
        }
    }

    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
            if (ec) {
                if (!acceptor.is_open()) co_return;
                continue;
            }
            net::co_spawn(ioc, session(std::move(socket)), net::detached);
        }
    }

    net::awaitable<void> session(tcp::socket socket) {
        tls_stream stream{std::move(socket), ssl_ctx};
        connection conn{&stream, false, false};
        std::uint64_t const id = next_id++;
        conns[id] = &conn;
        struct unregister {
            impl* self;
            std::uint64_t id;
            ~unregister() { self->conns.erase(id); }
        } guard{this, id};

        beast::get_lowest_layer(stream).expires_after(handshake_timeout);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, use_nothrow);
        if (hec) co_return;
        beast::get_lowest_layer(stream).expires_never();
        bool const resumed = SSL_session_reused(stream.native_handle()) == 1;
        state->note_tls_connection(resumed);

        beast::flat_buffer buf;
        bool first = true;
        for (;;) {
            request_parser parser;
            parser.body_limit(boost::none);  // bodies are streamed, never held whole
            parser.header_limit(64 * 1024);
            conn.idle = buf.size() == 0;
            auto [ec, n] = co_await http::async_read_header(stream, buf, parser, use_nothrow);
            conn.idle = false;
            if (ec) break;
            if (first && std::string_view{parser.get().target()}.rfind("/_sim/", 0) == 0)
                state->discount_tls_connection(resumed);
            first = false;
            bool keep = false;
            try {
                keep = co_await route(stream, buf, parser);
            } catch (std::exception const&) {
                keep = false;
            }
            if (!keep || conn.close_when_done) break;
        }
        close_socket(stream);
    }

    net::awaitable<bool> route(tls_stream& s, beast::flat_buffer& buf, request_parser& p) {
        std::string const target{p.get().target()};
        std::string const path{path_of(target)};
        unsigned const version = p.get().version();
        bool const keep = p.get().keep_alive();

        if (path.rfind("/_sim/", 0) == 0) {
            auto const method = std::string{p.get().method_string()};
            auto const request_body = co_await read_body(s, buf, p, token_body_limit);
            if (!request_body) co_return false;
            auto [status, body] = control(method, path, parse_query(target), *request_body);
            co_return co_await write_json(s, status, std::move(body), version, keep);
        }
        if (sim_state::is_token_path(path)) {
            token_request req;
            req.method = std::string{p.get().method_string()};
            req.path = path;
            req.authorization = std::string{p.get()[http::field::authorization]};
            auto body = co_await read_body(s, buf, p, token_body_limit);
            if (!body) co_return false;
            req.body = std::move(*body);
            auto res = state->token_endpoint(req);
            if (res.hang) co_return co_await hang(s);
            co_return co_await write_json(s, res.status, std::move(res.body), version, keep);
        }
        if (sim_state::is_resource_path(path)) co_return co_await serve_resource(s, buf, p, *state);

        if (!co_await drain_body(s, buf, p)) co_return false;
        co_return co_await write_json(s, 404, R"({"error":"not_found"})", version, keep);
    }

    std::pair<unsigned, std::string> control(std::string const& method, std::string const& path,
                                             std::map<std::string, std::string> const& query,
                                             std::string const& body) {
        auto const arg = [&](char const* name) {
            auto const it = query.find(name);
            return it == query.end() ? std::string{} : it->second;
        };
        if (path == "/_sim/stats" && method == "GET") return {200, stats_json(state->stats())};
        if (method != "POST") return {405, R"({"error":"method_not_allowed"})"};
        if (path == "/_sim/fault") {
            auto const f = parse_fault(arg("token"));
            if (!f) return {400, R"({"error":"unknown fault"})"};
            state->set_token_fault(*f);
        } else if (path == "/_sim/revoke") {
            state->revoke_all_tokens();
        } else if (path == "/_sim/expires_in") {
            int seconds = 0;
            try {
                seconds = std::stoi(arg("s"));
            } catch (std::exception const&) {
                return {400, R"({"error":"s must be a number of seconds"})"};
            }
            state->set_expires_in(seconds);
        } else if (path == "/_sim/service_account_key") {
            // Key rotation: the account's public JWK (the body) replaces the old one, which is then
            // refused like any unknown key.
            auto const id = arg("id");
            if (id.empty()) return {400, R"({"error":"id is required"})"};
            if (!pkey_from_jwk(body)) return {400, R"({"error":"the body is not a usable RSA JWK"})"};
            state->set_service_account_key(id, body);
        } else if (path == "/_sim/service_account_scopes") {
            // The scopes the account was created with (space-separated in the body): asking for
            // any other is answered invalid_scope, as AM does.
            std::vector<std::string> scopes;
            std::string_view rest = body;
            while (!rest.empty()) {
                auto const space = rest.find(' ');
                if (auto const word = rest.substr(0, space); !word.empty()) scopes.emplace_back(word);
                if (space == std::string_view::npos) break;
                rest.remove_prefix(space + 1);
            }
            if (!state->set_service_account_scopes(arg("id"), std::move(scopes)))
                return {404, R"({"error":"unknown service account"})"};
        } else if (path == "/_sim/close_idle") {
            close_idle();
        } else if (path == "/_sim/resource_fault") {
            auto const f = arg("f");
            if (!f.empty() && f != "500" && f != "hang") return {400, R"({"error":"unknown fault"})"};
            state->set_resource_fault(f);
        } else {
            return {404, R"({"error":"not_found"})"};
        }
        return {200, R"({"ok":true})"};
    }
};

sim_server::sim_server(std::shared_ptr<sim_state> state) : impl_(std::make_unique<impl>(std::move(state))) {}

sim_server::~sim_server() {
    stop();
}

void sim_server::start() {
    auto& m = *impl_;
    if (m.running) return;
    auto const& opts = m.state->config();
    m.ssl_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    m.ssl_ctx.use_certificate_chain_file(opts.cert_file);
    m.ssl_ctx.use_private_key_file(opts.key_file, ssl::context::pem);

    tcp::endpoint const endpoint{net::ip::make_address(opts.listen_host), opts.port};
    m.acceptor.open(endpoint.protocol());
    m.acceptor.set_option(net::socket_base::reuse_address(true));
    m.acceptor.bind(endpoint);
    m.acceptor.listen(net::socket_base::max_listen_connections);
    m.bound_port = m.acceptor.local_endpoint().port();
    m.state->set_port(m.bound_port);

    net::co_spawn(m.ioc, m.accept_loop(), net::detached);
    m.running = true;
    m.thread = std::thread{[&m] { m.ioc.run(); }};
}

void sim_server::stop() {
    auto& m = *impl_;
    if (!m.running) return;
    m.on_io_thread([&m] {
        error_code ignored;
        m.acceptor.close(ignored);
        for (auto const& [id, c] : m.conns) close_socket(*c->stream);
        // Sessions parked on timers (drip, slow) would otherwise keep run() going; their frames are
        // destroyed with the io_context.
        m.ioc.stop();
    });
    if (m.thread.joinable()) m.thread.join();
    m.running = false;
}

std::uint16_t sim_server::port() const {
    return impl_->bound_port;
}

void sim_server::close_idle_connections() {
    auto& m = *impl_;
    m.on_io_thread([&m] { m.close_idle(); });
}

}  // namespace aic::sim

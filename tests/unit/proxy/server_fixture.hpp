// The proxy server in a test: an in-process tenant simulator (and a rogue one whose certificate
// the proxy must refuse), a stub authenticator minting sim tokens, the server on 127.0.0.1:0 in
// an io_context on its own thread, and a blocking client for the test thread.
#pragma once

#include "auth/authenticator.hpp"
#include "core/net.hpp"
#include "ops/metrics.hpp"
#include "proxy/server.hpp"
#include "tenant_sim.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace aic::test {

// Hands out one cached sim token; reject() drops it like the real cache does, or keeps it as the
// cache does when a 401 forced a refresh moments ago (`keep_refused`).
class stub_authenticator : public auth::authenticator {
public:
    stub_authenticator(sim::tenant_sim& sim, std::string credential, std::vector<std::string> scopes);
    net::awaitable<auth::grant_result> acquire() override;
    auth::rejection reject(std::shared_ptr<auth::access_token const> const& token) override;
    auth::auth_status status() const override { return {}; }
    void start() override {}
    void stop() override {}

    std::atomic<int> acquires{0};
    std::atomic<int> rejects{0};
    std::atomic<bool> failing{false};       // acquire() answers a token_error
    std::atomic<bool> keep_refused{false};  // reject() keeps the token

private:
    sim::tenant_sim& sim_;
    std::string credential_;
    std::vector<std::string> scopes_;
    auth::grant current_;
};

struct fixture_options {
    std::function<void(proxy::server_settings&)> tweak;
};

class proxy_fixture {
public:
    explicit proxy_fixture(fixture_options options = {});
    ~proxy_fixture();

    tcp::endpoint endpoint() const { return endpoint_; }
    std::string last_local_path() const;

    sim::tenant_sim sim;
    sim::tenant_sim rogue;  // serves a certificate from a CA the proxy does not trust
    std::shared_ptr<stub_authenticator> auth;
    std::atomic<int> local_calls{0};

private:
    net::io_context ioc_;
    ssl::context tls_{ssl::context::tls_client};
    ops::metrics_registry metrics_{{"/openidm", "/iga", "/am"}};
    std::unique_ptr<proxy::server> server_;
    tcp::endpoint endpoint_;
    std::thread thread_;
    mutable std::mutex mu_;
    std::string last_local_path_;
};

// A blocking HTTP/1.1 client with socket timeouts, so a broken proxy fails a test, never hangs it.
class blocking_client {
public:
    explicit blocking_client(tcp::endpoint ep);
    http::response<http::string_body> send(http::request<http::string_body> req);
    http::response<http::string_body> read_response();
    void write_raw(std::string_view bytes);
    std::string read_raw_some();
    bool peer_closed();  // true when the next read sees EOF
    tcp::socket& socket() { return socket_; }
    beast::flat_buffer& buffer() { return buffer_; }

private:
    net::io_context ctx_;
    tcp::socket socket_{ctx_};
    beast::flat_buffer buffer_;
};

http::request<http::string_body> make_request(http::verb method, std::string target, std::string body = {});
boost::json::object echo_of(http::response<http::string_body> const& res);
std::string sha256_hex(std::string_view data);
std::string sim_bytes(std::size_t n);  // what <prefix>/_sim/bytes?n=N serves

}  // namespace aic::test

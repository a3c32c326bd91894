#include "server_fixture.hpp"

#include <openssl/evp.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/detached.hpp>

#include <cstdio>
#include <future>
#include <stdexcept>

namespace aic::test {

namespace {

std::string pki(char const* name) {
    return std::string{AIC_TEST_PKI_DIR} + "/" + name;
}

sim::options sim_options(char const* cert, char const* key) {
    sim::options o;
    o.cert_file = pki(cert);
    o.key_file = pki(key);
    return o;
}

https_url url_of(sim::tenant_sim const& s) {
    auto u = parse_https_url(s.base_url());
    if (!u) throw std::runtime_error("bad sim url");
    return *u;
}

}  // namespace

stub_authenticator::stub_authenticator(sim::tenant_sim& sim, std::string credential,
                                       std::vector<std::string> scopes)
    : sim_(sim), credential_(std::move(credential)), scopes_(std::move(scopes)) {}

net::awaitable<auth::grant_result> stub_authenticator::acquire() {
    ++acquires;
    if (failing) {
        co_return auth::token_error{credential_, "https://localhost/am/oauth2/access_token", 400,
                                    "invalid_grant", "test says no"};
    }
    if (!current_.token) {
        auto value = sim_.issue_token(credential_, scopes_);
        auto token = std::make_shared<auth::access_token>();
        token->value = secret{value};
        token->expires_at = boot_clock::now() + std::chrono::seconds{899};
        token->lifetime = std::chrono::seconds{899};
        token->scopes = scopes_;
        auto headers = std::make_shared<auth::injected_headers>();
        headers->add("Authorization", secret{"Bearer " + value});
        current_ = auth::grant{std::move(token), std::move(headers)};
    }
    co_return current_;
}

auth::rejection stub_authenticator::reject(std::shared_ptr<auth::access_token const> const& token) {
    ++rejects;
    if (token != current_.token) return auth::rejection::replaced;
    if (keep_refused) return auth::rejection::kept;
    current_ = {};
    return auth::rejection::replaced;
}

proxy_fixture::proxy_fixture(fixture_options options)
    : sim(sim_options("localhost.pem", "localhost.key")),
      rogue(sim_options("rogue-localhost.pem", "rogue-localhost.key")) {
    sim.start();
    rogue.start();
    tls_.set_verify_mode(ssl::verify_peer);
    tls_.load_verify_file(pki("ca.pem"));

    auth =
        std::make_shared<stub_authenticator>(sim, "sa-test", std::vector<std::string>{"fr:am:*", "fr:idm:*"});
    auto table = std::make_shared<proxy::routing_table>();
    config::route openidm;
    openidm.prefix = "/openidm";
    openidm.credential = "sa";
    openidm.scopes = {"fr:idm:*"};
    table->routes.push_back(proxy::route_binding{openidm, url_of(sim), auth});
    config::route iga;
    iga.prefix = "/iga";
    iga.credential = "sa";
    table->routes.push_back(proxy::route_binding{iga, url_of(rogue), auth});
    config::route am;
    am.prefix = "/am";
    am.credential = "sa";
    am.methods = {"GET"};
    table->routes.push_back(proxy::route_binding{am, url_of(sim), auth});

    proxy::server_settings settings;
    config::listen_address listen;
    listen.host = "127.0.0.1";
    listen.port = 0;
    listen.text = "127.0.0.1:0";
    settings.listen.push_back(listen);
    if (options.tweak) options.tweak(settings);

    server_ = std::make_unique<proxy::server>(ioc_.get_executor(), settings, table, tls_, metrics_,
                                              [this](std::string_view path) {
                                                  ++local_calls;
                                                  {
                                                      std::lock_guard lock{mu_};
                                                      last_local_path_ = std::string{path};
                                                  }
                                                  http::response<http::string_body> res{http::status::ok, 11};
                                                  res.set(http::field::content_type, "text/plain");
                                                  res.body() = "ok\n";
                                                  return res;
                                              });
    server_->start();
    endpoint_ = server_->tcp_endpoints().at(0);
    thread_ = std::thread([this] { ioc_.run(); });
}

proxy_fixture::~proxy_fixture() {
    std::promise<void> done;
    net::co_spawn(
        ioc_,
        [this]() -> net::awaitable<void> { co_await server_->shutdown(std::chrono::milliseconds{2000}); },
        [&](std::exception_ptr) {
            done.set_value();
            ioc_.stop();
        });
    done.get_future().wait();
    thread_.join();
    server_.reset();
}

std::string proxy_fixture::last_local_path() const {
    std::lock_guard lock{mu_};
    return last_local_path_;
}

blocking_client::blocking_client(tcp::endpoint ep) {
    socket_.connect(ep);
    timeval tv{};
    tv.tv_sec = 30;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

http::response<http::string_body> blocking_client::send(http::request<http::string_body> req) {
    http::write(socket_, req);
    return read_response();
}

http::response<http::string_body> blocking_client::read_response() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    http::read(socket_, buffer_, parser);
    return parser.release();
}

void blocking_client::write_raw(std::string_view bytes) {
    net::write(socket_, net::buffer(bytes));
}

std::string blocking_client::read_raw_some() {
    if (buffer_.size() == 0) {
        auto n = socket_.read_some(buffer_.prepare(4096));
        buffer_.commit(n);
    }
    std::string out = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return out;
}

bool blocking_client::peer_closed() {
    if (buffer_.size() != 0) return false;
    error_code ec;
    char byte = 0;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
}

http::request<http::string_body> make_request(http::verb method, std::string target, std::string body) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "localhost");
    if (!body.empty() || method == http::verb::post || method == http::verb::put) {
        req.body() = std::move(body);
        req.prepare_payload();
    }
    return req;
}

boost::json::object echo_of(http::response<http::string_body> const& res) {
    return boost::json::parse(res.body()).as_object();
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    std::string out;
    char hex[3];
    for (unsigned i = 0; i < len; ++i) {
        std::snprintf(hex, sizeof hex, "%02x", md[i]);
        out += hex;
    }
    return out;
}

std::string sim_bytes(std::size_t n) {
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 31 + 7) & 0xff);
    return out;
}

}  // namespace aic::test

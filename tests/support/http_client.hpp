// A tiny blocking HTTP/1.1 client for tests: keep-alive reuse, optional TLS (verified against a
// CA file with host-name checking), a timeout on every step so a test cannot hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aic::test {

struct http_response {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  // lower-case names; repeated values joined with ", "
    std::string body;
    bool keep_alive = true;

    std::string header(std::string const& lower_case_name) const {
        auto const it = headers.find(lower_case_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

struct tls_settings {
    std::string ca_file;                    // trust anchor
    std::string server_name = "localhost";  // SNI and the name the certificate must carry
};

using header_list = std::vector<std::pair<std::string, std::string>>;

class http_client {
public:
    http_client(std::string host, std::uint16_t port,
                std::chrono::milliseconds timeout = std::chrono::seconds{30});
    http_client(std::string host, std::uint16_t port, tls_settings tls,
                std::chrono::milliseconds timeout = std::chrono::seconds{30});
    ~http_client();
    http_client(http_client const&) = delete;
    http_client& operator=(http_client const&) = delete;

    // Reuses the open connection when the last response allowed it; throws boost::system::system_error
    // on connect/read/write failure or timeout (the connection is then dropped).
    http_response request(std::string const& method, std::string const& target,
                          header_list const& headers = {}, std::string const& body = {});
    void close();
    std::uint64_t connections_opened() const { return connections_opened_; }

    struct impl;

private:
    std::unique_ptr<impl> impl_;
    std::uint64_t connections_opened_ = 0;
};

// Sends `bytes` as-is on a fresh plain TCP connection to 127.0.0.1:port and returns everything the
// server sent until it closed the connection or `timeout` passed (for malformed-request tests).
std::string raw_exchange(std::uint16_t port, std::string const& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds{10});

// A HEAD request's answer must end at its head (RFC 9110 §9.3.2): sends `HEAD target` (with
// `extra_headers`, each line ending in CRLF) and then `GET /_proxy/healthz` on the same
// connection, and returns what came back split after the first response's head. `after` starts
// with the second response when the first had no body.
struct head_exchange {
    std::string head;   // the first response's head, up to and including its blank line
    std::string after;  // everything the server sent after it
};
head_exchange head_then_healthz(std::uint16_t port, std::string const& target,
                                std::string const& extra_headers = {});

}  // namespace aic::test

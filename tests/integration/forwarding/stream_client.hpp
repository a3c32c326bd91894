// A raw streaming HTTP/1.1 client for the forwarding tests: plain POSIX sockets on loopback, every
// read and write bounded by poll() so a test fails instead of hanging, bodies hashed with
// SHA-256 (OpenSSL EVP) as they pass so a 1 GiB transfer never sits in memory.
#pragma once

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace aic::test::fwd {

// Byte i of every tenant-sim `/_sim/bytes` body (tools/tenant-sim/resource.cpp).
inline char pattern_byte(std::uint64_t i) {
    return static_cast<char>((i * 31 + 7) & 0xff);
}

class sha256 {
public:
    sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
            throw std::runtime_error("EVP sha256 init failed");
    }
    void update(char const* data, std::size_t n) {
        if (n > 0 && EVP_DigestUpdate(ctx_.get(), data, n) != 1)
            throw std::runtime_error("EVP update failed");
    }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw std::runtime_error("EVP final failed");
        static char const digits[] = "0123456789abcdef";
        std::string out;
        for (unsigned int i = 0; i < len; ++i) {
            out += digits[md[i] >> 4];
            out += digits[md[i] & 0xf];
        }
        return out;
    }

private:
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

// The pattern repeats every 256 bytes, so any piece that starts at a multiple of 256 is a prefix
// of this 64 KiB block.
inline std::vector<char> const& pattern_block() {
    static std::vector<char> const block = [] {
        std::vector<char> b(64 * 1024);
        for (std::size_t i = 0; i < b.size(); ++i) b[i] = pattern_byte(i);
        return b;
    }();
    return block;
}

// SHA-256 hex of the first n pattern bytes.
inline std::string pattern_sha256(std::uint64_t n) {
    sha256 h;
    auto const& block = pattern_block();
    for (std::uint64_t off = 0; off < n;) {
        auto const k = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), n - off));
        h.update(block.data(), k);
        off += k;
    }
    return h.hex();
}

struct response_head {
    unsigned status = 0;
    std::string version;                        // "HTTP/1.1"
    std::map<std::string, std::string> fields;  // lower-case names, last value wins
    std::string raw;

    std::string field(std::string const& lower_name) const {
        auto const it = fields.find(lower_name);
        return it == fields.end() ? std::string{} : it->second;
    }
    bool chunked() const {
        auto te = field("transfer-encoding");
        std::transform(te.begin(), te.end(), te.begin(), [](unsigned char c) { return std::tolower(c); });
        return te.find("chunked") != std::string::npos;
    }
};

struct body_summary {
    std::uint64_t bytes = 0;
    std::string sha256_hex;
    std::string text;  // the body itself when it was small (<= 1 MiB), else empty
};

class stream_client {
public:
    explicit stream_client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds{60})
        : timeout_(timeout) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket: " + std::string{std::strerror(errno)});
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) != 0) {
            auto const err = std::string{std::strerror(errno)};
            ::close(fd_);
            throw std::runtime_error("connect to proxy: " + err);
        }
    }
    ~stream_client() { ::close(fd_); }
    stream_client(stream_client const&) = delete;
    stream_client& operator=(stream_client const&) = delete;

    void send_all(std::string_view data) { send_all(data.data(), data.size()); }
    void send_all(char const* data, std::size_t n) {
        while (n > 0) {
            wait_for(POLLOUT, "write");
            auto const w = ::send(fd_, data, n, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                throw std::runtime_error("send: " + std::string{std::strerror(errno)});
            }
            data += w;
            n -= static_cast<std::size_t>(w);
        }
    }

    // Streams n pattern bytes as the request body (raw, or as chunks of `piece` bytes, a multiple of
    // 256 up to 64 KiB) and returns their SHA-256.
    std::string send_pattern_body(std::uint64_t n, bool chunked, std::size_t piece = 64 * 1024) {
        if (piece == 0 || piece % 256 != 0 || piece > pattern_block().size())
            throw std::invalid_argument("piece must be a multiple of 256 up to 64 KiB");
        sha256 h;
        char const* const data = pattern_block().data();
        for (std::uint64_t off = 0; off < n;) {
            auto const k = static_cast<std::size_t>(std::min<std::uint64_t>(piece, n - off));
            h.update(data, k);
            if (chunked) send_all(to_hex(k) + "\r\n");
            send_all(data, k);
            if (chunked) send_all("\r\n");
            off += k;
        }
        if (chunked) send_all("0\r\n\r\n");
        return h.hex();
    }

    // Reads up to and including the blank line that ends a response head.
    response_head read_head() {
        std::size_t end;
        while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
            if (in_.size() > 64 * 1024) throw std::runtime_error("response head too large");
            if (!fill()) throw std::runtime_error("connection closed before a response head: " + in_);
        }
        response_head head;
        head.raw = in_.substr(0, end + 4);
        in_.erase(0, end + 4);
        auto const first_eol = head.raw.find("\r\n");
        std::string const status_line = head.raw.substr(0, first_eol);
        auto const sp = status_line.find(' ');
        head.version = status_line.substr(0, sp);
        head.status = static_cast<unsigned>(std::stoul(status_line.substr(sp + 1, 3)));
        std::size_t pos = first_eol + 2;
        while (pos < end) {
            auto const eol = head.raw.find("\r\n", pos);
            auto const line = head.raw.substr(pos, eol - pos);
            auto const colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                std::transform(name.begin(), name.end(), name.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                auto value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(" \t"));
                value.erase(value.find_last_not_of(" \t") + 1);
                head.fields[name] = value;
            }
            pos = eol + 2;
        }
        return head;
    }

    // Reads the body announced by `head` (Content-Length, chunked, or until close), hashing it.
    body_summary read_body(response_head const& head, bool head_request = false) {
        body_summary out;
        sha256 h;
        auto const take = [&](std::size_t n) {
            h.update(in_.data(), n);
            if (out.bytes + n <= small_body) out.text.append(in_, 0, n);
            out.bytes += n;
            in_.erase(0, n);
        };
        bool const no_body = head_request || head.status == 204 || head.status == 304 ||
                             (head.status >= 100 && head.status < 200);
        if (no_body) {
            out.sha256_hex = h.hex();
            return out;
        }
        if (head.chunked()) {
            for (;;) {
                auto const line = read_line();
                auto const size = std::stoull(line.substr(0, line.find(';')), nullptr, 16);
                if (size == 0) {
                    while (!read_line().empty()) {
                    }  // trailers
                    break;
                }
                for (std::uint64_t left = size; left > 0;) {
                    if (in_.empty() && !fill()) throw std::runtime_error("connection closed inside a chunk");
                    auto const k = static_cast<std::size_t>(std::min<std::uint64_t>(left, in_.size()));
                    take(k);
                    left -= k;
                }
                if (!read_line().empty()) throw std::runtime_error("chunk not followed by CRLF");
            }
        } else if (auto const cl = head.field("content-length"); !cl.empty()) {
            for (std::uint64_t left = std::stoull(cl); left > 0;) {
                if (in_.empty() && !fill()) throw std::runtime_error("connection closed inside the body");
                auto const k = static_cast<std::size_t>(std::min<std::uint64_t>(left, in_.size()));
                take(k);
                left -= k;
            }
        } else {
            for (;;) {
                if (in_.empty() && !fill()) break;
                take(in_.size());
            }
        }
        if (out.bytes > small_body) out.text.clear();
        out.sha256_hex = h.hex();
        return out;
    }

    // One CRLF-terminated line (without the CRLF).
    std::string read_line() {
        std::size_t eol;
        while ((eol = in_.find("\r\n")) == std::string::npos) {
            if (!fill()) throw std::runtime_error("connection closed inside a line");
        }
        auto line = in_.substr(0, eol);
        in_.erase(0, eol + 2);
        return line;
    }

    // Bytes received but not consumed yet.
    std::string const& pending() const { return in_; }

    // Reads once more; false at end of stream.
    bool fill() {
        char buf[64 * 1024];
        for (;;) {
            wait_for(POLLIN, "read");
            auto const r = ::recv(fd_, buf, sizeof buf, 0);
            if (r < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                if (errno == ECONNRESET) return false;
                throw std::runtime_error("recv: " + std::string{std::strerror(errno)});
            }
            if (r == 0) return false;
            in_.append(buf, static_cast<std::size_t>(r));
            return true;
        }
    }

    // True when the peer closed the connection (reads to end of stream, bounded by the timeout).
    bool closed_by_peer() {
        while (fill()) {
        }
        return true;
    }

private:
    static constexpr std::uint64_t small_body = 1024 * 1024;

    static std::string to_hex(std::size_t n) {
        static char const digits[] = "0123456789abcdef";
        std::string out;
        do {
            out.insert(out.begin(), digits[n & 0xf]);
            n >>= 4;
        } while (n > 0);
        return out;
    }

    void wait_for(short events, char const* what) {
        pollfd p{fd_, events, 0};
        for (;;) {
            auto const r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
            if (r > 0) return;
            if (r == 0) throw std::runtime_error(std::string{"timed out waiting to "} + what);
            if (errno != EINTR) throw std::runtime_error("poll: " + std::string{std::strerror(errno)});
        }
    }

    int fd_ = -1;
    std::chrono::milliseconds timeout_;
    std::string in_;
};

}  // namespace aic::test::fwd

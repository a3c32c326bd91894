#include "proxy/request_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>

namespace aic::proxy {
namespace {

constexpr std::size_t max_client_id = 128;

bool valid_client_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > max_client_id) return false;
    for (char const c : id) {
        bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// xoshiro256**: ids only need to be unique, and RAND_bytes per request would take a lock in
// OpenSSL's DRBG on every request.
class xoshiro256 {
public:
    xoshiro256() {
        if (RAND_bytes(reinterpret_cast<unsigned char*>(s_.data()), static_cast<int>(sizeof(s_))) != 1) {
            // No entropy from OpenSSL: fall back to the platform's; ids stay unique enough.
            std::random_device rd;
            for (auto& w : s_) w = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
        }
        if (s_[0] == 0 && s_[1] == 0 && s_[2] == 0 && s_[3] == 0) s_[0] = 0x9e3779b97f4a7c15ULL;
    }

    std::uint64_t next() noexcept {
        std::uint64_t const result = rotl(s_[1] * 5, 7) * 9;
        std::uint64_t const t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::array<std::uint64_t, 4> s_{};
};

}  // namespace

void make_request_id(std::string_view client_supplied, std::string& out) {
    if (valid_client_id(client_supplied)) {
        out.assign(client_supplied);
        return;
    }
    thread_local xoshiro256 rng;
    constexpr char digits[] = "0123456789abcdef";
    out.assign(32, '0');
    for (std::size_t half = 0; half < 2; ++half) {
        std::uint64_t v = rng.next();
        for (std::size_t i = 0; i < 16; ++i) {
            out[half * 16 + i] = digits[v & 0xf];
            v >>= 4;
        }
    }
}

std::string make_request_id(std::string_view client_supplied) {
    std::string id;
    make_request_id(client_supplied, id);
    return id;
}

}  // namespace aic::proxy

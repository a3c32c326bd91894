// A string that holds secret material (token, client secret, key text): wiped when released,
// never formatted. Reading it takes an explicit reveal(), which is easy to grep for.
#pragma once

#include <openssl/crypto.h>

#include <string>
#include <string_view>
#include <utility>

namespace aic {

class secret {
public:
    secret() = default;
    explicit secret(std::string value) : value_(std::move(value)) {}
    secret(secret const& other) : value_(other.value_) {}
    secret(secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
    secret& operator=(secret const& other) {
        if (this != &other) {
            wipe();
            value_ = other.value_;
        }
        return *this;
    }
    secret& operator=(secret&& other) noexcept {
        if (this != &other) {
            wipe();
            value_ = std::move(other.value_);
            other.wipe();
        }
        return *this;
    }
    ~secret() { wipe(); }

    std::string_view reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }
    std::size_t size() const noexcept { return value_.size(); }
    friend bool operator==(secret const& a, secret const& b) noexcept { return a.value_ == b.value_; }

private:
    void wipe() noexcept {
        // Cleanse the whole capacity: short strings live in the object, long ones on the heap.
        if (value_.capacity() > 0) OPENSSL_cleanse(value_.data(), value_.capacity());
        value_.clear();
    }
    std::string value_;
};

}  // namespace aic

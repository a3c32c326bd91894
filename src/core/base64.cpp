#include "core/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace aic {

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int const n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<unsigned char const*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64url_encode(std::string_view bytes) {
    std::string out = base64_encode(bytes);
    while (!out.empty() && out.back() == '=') out.pop_back();
    std::replace(out.begin(), out.end(), '+', '-');
    std::replace(out.begin(), out.end(), '/', '_');
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;
    std::string std_form(text);
    for (char& c : std_form) {
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == '+' || c == '/')
            return std::nullopt;  // not the URL alphabet
    }
    std::size_t const padding = (4 - std_form.size() % 4) % 4;
    std_form.append(padding, '=');
    std::string out(std_form.size() / 4 * 3, '\0');
    int const n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(std_form.data()),
                                  static_cast<int>(std_form.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts the bytes the '=' padding stands for; they are not data.
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

}  // namespace aic

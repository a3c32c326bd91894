#include "auth/form.hpp"

namespace aic::auth {

std::string form_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (char const c : text) {
        auto const u = static_cast<unsigned char>(c);
        bool const unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                                u == '-' || u == '.' || u == '_' || u == '~';
        if (unreserved) {
            out += c;
        } else if (u == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 0x0f];
        }
    }
    return out;
}

std::string form_body(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string body;
    for (auto const& [name, value] : fields) {
        if (!body.empty()) body += '&';
        body += form_encode(name);
        body += '=';
        body += form_encode(value);
    }
    return body;
}

}  // namespace aic::auth

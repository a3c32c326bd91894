// Flat storage for the relayed response head (see response_parser.hpp).
#include "proxy/response_parser.hpp"

#include <algorithm>
#include <cstring>

namespace aic::proxy {

void relayed_response::start(unsigned status, std::string_view reason) {
    text_.clear();
    raw_.clear();
    fields_.clear();
    status_ = status;
    reason_ = keep(reason);
}

relayed_response::span relayed_response::keep(std::string_view s) {
    // A head is at most the parser's header_limit (kilobytes), so offsets fit in 32 bits.
    span const kept{static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(s.size())};
    text_.append(s.data(), s.size());
    return kept;
}

void relayed_response::add(http::field id, std::string_view name, std::string_view value) {
    raw_field const f{id, keep(name), keep(value)};
    raw_.push_back(f);
}

void relayed_response::finish_head() {
    fields_.reserve(raw_.size());
    for (auto const& f : raw_) fields_.emplace_back(f.id, view(f.name), view(f.value));
}

void relay_response_parser::on_response_impl(int code, beast::string_view reason, int, error_code& ec) {
    // basic_parser only calls this with a three-digit code.
    out_.start(static_cast<unsigned>(code), {reason.data(), reason.size()});
    ec = {};
}

void relay_response_parser::on_field_impl(http::field id, beast::string_view name, beast::string_view value,
                                          error_code& ec) {
    ec = {};
    // Fields after the head are a chunked body's trailer. The relay has written the client's head
    // by then and ends the body with a bare last chunk, so they are dropped, as before; and
    // storing them could move the text that the head's views point into.
    if (is_header_done()) return;
    out_.add(id, {name.data(), name.size()}, {value.data(), value.size()});
}

void relay_response_parser::on_header_impl(error_code& ec) {
    out_.finish_head();
    ec = {};
}

// As buffer_body's reader does it: copy what fits into the caller's buffer; need_buffer when it
// is full (or not set), which the relay takes as "this piece is done".
std::size_t relay_response_parser::on_body_impl(beast::string_view body, error_code& ec) {
    auto& b = out_.body();
    if (b.data == nullptr) {
        ec = http::error::need_buffer;
        return 0;
    }
    std::size_t const n = std::min(b.size, body.size());
    if (n != 0) std::memcpy(b.data, body.data(), n);
    b.data = static_cast<char*>(b.data) + n;
    b.size -= n;
    ec = n == body.size() ? error_code{} : error_code{http::error::need_buffer};
    return n;
}

std::size_t relay_response_parser::on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                                      error_code& ec) {
    return on_body_impl(body, ec);
}

}  // namespace aic::proxy

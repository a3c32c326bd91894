// The upstream's response head, parsed by Beast's basic_parser into flat storage the session
// reuses. Beast's own parser<> inserts every field into a tree of nodes allocated one by one and
// freed again after each response, about 250 instructions a field; the relay only walks the
// fields once, in order, to write the client's head. Here a field costs two copies into one
// string whose capacity outlives the response, and one entry in a vector.
#pragma once

#include "core/net.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aic::proxy {

// One field, answering what the head writer asks of Beast's fields (name, name_string, value).
class relayed_field {
public:
    relayed_field(http::field id, std::string_view name, std::string_view value) noexcept
        : id_(id), name_(name), value_(value) {}
    http::field name() const noexcept { return id_; }
    std::string_view name_string() const noexcept { return name_; }
    std::string_view value() const noexcept { return value_; }

private:
    http::field id_;
    std::string_view name_;
    std::string_view value_;
};

// What relay_response_parser read: the status line's code and reason, the fields in the order
// received (views valid until the next parse into this object), and the buffer_body the body is
// read into. Owned by the session; a parser fills it once per response.
class relayed_response {
public:
    unsigned result_int() const noexcept { return status_; }
    http::status result() const noexcept { return http::int_to_status(status_); }
    // As Beast's header answers it: the standard phrase when the upstream sent none.
    std::string_view reason() const noexcept {
        return reason_.size == 0 ? std::string_view{http::obsolete_reason(result())} : view(reason_);
    }
    auto begin() const noexcept { return fields_.begin(); }
    auto end() const noexcept { return fields_.end(); }
    std::size_t field_count() const noexcept { return fields_.size(); }
    http::buffer_body::value_type& body() noexcept { return body_; }

private:
    friend class relay_response_parser;

    // Where a piece of the head was copied to. The fields' views are made only once the head is
    // whole, as the copies may move while `text_` grows; the reason's, on each call.
    struct span {
        std::uint32_t at = 0;
        std::uint32_t size = 0;
    };
    struct raw_field {
        http::field id;
        span name;
        span value;
    };

    void start(unsigned status, std::string_view reason);
    void add(http::field id, std::string_view name, std::string_view value);
    void finish_head();
    span keep(std::string_view s);
    std::string_view view(span s) const noexcept { return {text_.data() + s.at, s.size}; }

    std::string text_;
    std::vector<raw_field> raw_;
    std::vector<relayed_field> fields_;
    span reason_;
    unsigned status_ = 0;
    http::buffer_body::value_type body_;
};

// Beast's HTTP/1 response parsing (framing, limits, validation: basic_parser) with the fields
// stored flat in `out`, and the body read the way buffer_body reads it: into the buffer that
// out.body() points at, need_buffer once it is full. One parser per message, as with Beast's.
class relay_response_parser : public http::basic_parser<false> {
public:
    explicit relay_response_parser(relayed_response& out) noexcept : out_(out) {}

    relayed_response& get() noexcept { return out_; }
    relayed_response const& get() const noexcept { return out_; }

private:
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code&) override {}
    void on_response_impl(int code, beast::string_view reason, int version, error_code& ec) override;
    void on_field_impl(http::field id, beast::string_view name, beast::string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(boost::optional<std::uint64_t> const&, error_code& ec) override { ec = {}; }
    std::size_t on_body_impl(beast::string_view body, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code& ec) override { ec = {}; }
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code& ec) override;
    void on_finish_impl(error_code& ec) override { ec = {}; }

    relayed_response& out_;
};

}  // namespace aic::proxy

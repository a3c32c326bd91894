#include "proxy/errors.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <utility>

namespace aic::proxy {

refusal bad_request(std::string detail) {
    return {http::status::bad_request, error_code_text::bad_request, std::move(detail)};
}
refusal forbidden(std::string detail) {
    return {http::status::forbidden, error_code_text::forbidden, std::move(detail)};
}
refusal not_found(std::string detail) {
    return {http::status::not_found, error_code_text::not_found, std::move(detail)};
}
refusal method_not_allowed(std::string detail) {
    return {http::status::method_not_allowed, error_code_text::method_not_allowed, std::move(detail)};
}
refusal payload_too_large(std::string detail) {
    return {http::status::payload_too_large, error_code_text::payload_too_large, std::move(detail)};
}
refusal uri_too_long(std::string detail) {
    return {http::status::uri_too_long, error_code_text::uri_too_long, std::move(detail)};
}
refusal header_too_large(std::string detail) {
    return {http::status::request_header_fields_too_large, error_code_text::header_too_large,
            std::move(detail)};
}
refusal bad_gateway(std::string detail) {
    return {http::status::bad_gateway, error_code_text::bad_gateway, std::move(detail)};
}
refusal no_token(std::string detail) {
    return {http::status::service_unavailable, error_code_text::no_token, std::move(detail)};
}
refusal gateway_timeout(std::string detail) {
    return {http::status::gateway_timeout, error_code_text::gateway_timeout, std::move(detail)};
}

bool closes_connection(refusal const& r) noexcept {
    return r.status == http::status::bad_request || r.status == http::status::uri_too_long ||
           r.status == http::status::request_header_fields_too_large;
}

http::response<http::string_body> error_response(refusal const& r, std::string_view request_id,
                                                 unsigned version, bool keep_alive) {
    boost::json::object body;
    body["error"] = r.error;
    body["detail"] = r.detail;
    body["request_id"] = request_id;

    http::response<http::string_body> res{r.status, version};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Request-Id", request_id);
    res.body() = boost::json::serialize(body);
    res.body() += '\n';
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
}

}  // namespace aic::proxy

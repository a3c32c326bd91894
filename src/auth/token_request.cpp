#include "auth/token_request.hpp"

#include "core/header_value.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>
#include <boost/throw_exception.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace aic::auth {
namespace {

token_error make_error(token_request const& request, unsigned status, std::string error,
                       std::string description) {
    return token_error{request.credential, request.endpoint.text(), status, std::move(error),
                       std::move(description)};
}

std::string string_member(boost::json::object const& o, char const* name) {
    auto const* v = o.if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool is_bearer(std::string_view type) {
    return type.size() == 6 && std::equal(type.begin(), type.end(), "bearer", [](char a, char b) {
               return static_cast<char>(std::tolower(static_cast<unsigned char>(a))) == b;
           });
}

std::vector<std::string> split_scopes(std::string_view text) {
    std::vector<std::string> scopes;
    std::istringstream in{std::string(text)};
    for (std::string s; in >> s;) scopes.push_back(s);
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    return scopes;
}

}  // namespace

token_result parse_token_response(token_request const& request, unsigned status, std::string_view body,
                                  boot_clock::time_point received_at) {
    boost::system::error_code ec;
    auto const doc = boost::json::parse(body, ec);
    boost::json::object const* object = (!ec && doc.is_object()) ? &doc.as_object() : nullptr;

    if (status != 200) {
        if (object && object->contains("error"))
            return make_error(request, status, string_member(*object, "error"),
                              string_member(*object, "error_description"));
        return make_error(
            request, status, "http_" + std::to_string(status),
            "the token endpoint answered HTTP " + std::to_string(status) + " without an OAuth error");
    }
    if (!object)
        return make_error(request, status, "malformed_response", "the token endpoint's answer is not JSON");

    // The body holds the token: describe what is wrong with it, never quote it.
    auto const* token = object->if_contains("access_token");
    if (!token || !token->is_string() || token->as_string().empty())
        return make_error(request, status, "malformed_response",
                          "no access_token in the token endpoint's answer");
    // It goes into a header of every relayed request: a CR, LF or NUL would split that head.
    if (!header_value_safe(token->as_string()))
        return make_error(request, status, "malformed_response",
                          "the access_token holds a CR, LF or NUL, which no header can carry");
    auto const type = string_member(*object, "token_type");
    if (!type.empty() && !is_bearer(type))
        return make_error(request, status, "malformed_response", "token_type is " + type + ", not Bearer");
    auto const* expires = object->if_contains("expires_in");
    std::int64_t lifetime = 0;
    if (expires && expires->is_int64())
        lifetime = expires->as_int64();
    else if (expires && expires->is_uint64())
        lifetime = static_cast<std::int64_t>(expires->as_uint64());
    else if (expires && expires->is_double())
        lifetime = static_cast<std::int64_t>(expires->as_double());
    if (lifetime <= 0)
        return make_error(request, status, "malformed_response",
                          "expires_in missing or not a positive number");

    access_token result;
    result.value = secret(std::string(token->as_string()));
    result.lifetime = std::chrono::seconds(lifetime);
    result.expires_at = received_at + result.lifetime;
    auto const granted = string_member(*object, "scope");
    result.scopes = granted.empty() ? request.scopes : split_scopes(granted);
    return result;
}

net::awaitable<token_result> request_token(ssl::context& tls, token_request request,
                                           net_tls::exchange_limits limits) {
    http::request<http::string_body> req{http::verb::post, request.endpoint.path, 11};
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.set(http::field::accept, "application/json");
    if (request.authorization) req.set(http::field::authorization, request.authorization->reveal());
    req.body() = std::string(request.form.reveal());

    auto const sent_at = boot_clock::now();
    auto answer = co_await net_tls::https_exchange(tls, request.endpoint, std::move(req), limits);
    if (!answer) {
        auto const& f = answer.error();
        co_return make_error(request, 0, f.kind, f.detail);
    }
    // Expiry counts from when the request left: the token cannot have been issued earlier.
    auto parsed = parse_token_response(request, answer->result_int(), answer->body(), sent_at);
    if (!answer->body().empty()) OPENSSL_cleanse(answer->body().data(), answer->body().size());
    co_return parsed;
}

}  // namespace aic::auth

namespace aic::auth {

std::string describe_failure(token_error const& e) {
    std::string d = "from " + e.endpoint + ": ";
    if (e.http_status != 0) d += "HTTP " + std::to_string(e.http_status) + ' ';
    d += e.error.empty() ? std::string{"error"} : e.error;
    if (!e.description.empty()) d += " (" + e.description + ')';
    return d;
}

void throw_exception_from_error(token_error const& e, boost::source_location const& loc) {
    boost::throw_exception(std::runtime_error(e.credential + ": " + e.error + ": " + e.description), loc);
}

}  // namespace aic::auth

// /_proxy/healthz, /_proxy/readyz and /_proxy/metrics (see local_endpoints.hpp).
#include "app/local_endpoints.hpp"

#include "core/posix_clock.hpp"

#include <boost/json.hpp>

#include <chrono>

namespace aic::app {
namespace {

using string_response = http::response<http::string_body>;

std::string join(std::vector<std::string> const& words) {
    std::string out;
    for (auto const& w : words) {
        if (!out.empty()) out += ' ';
        out += w;
    }
    return out;
}

char const* state_name(auth::auth_status::state s) {
    switch (s) {
        case auth::auth_status::state::cold: return "cold";
        case auth::auth_status::state::valid: return "valid";
        case auth::auth_status::state::expired: return "expired";
        case auth::auth_status::state::failing: return "failing";
        case auth::auth_status::state::static_key: return "static_key";
    }
    return "unknown";
}

double seconds_to_expiry(auth::auth_status const& s) {
    if (!s.expires_at) return 0;
    return std::chrono::duration<double>(*s.expires_at - boot_clock::now()).count();
}

// A credential is ready when it holds a token that is still valid (or needs none).
bool is_ready(auth::auth_status const& s) {
    if (s.current == auth::auth_status::state::static_key) return true;
    return s.expires_at && seconds_to_expiry(s) > 0;
}

// The token endpoint said this account may not have these scopes: a fact about the account, not
// an outage (AM: 400 invalid_scope).
bool not_granted(auth::auth_status const& s) {
    return s.current == auth::auth_status::state::failing && s.last_error &&
           auth::scope_refused(*s.last_error);
}

string_response respond(http::status status, std::string content_type, std::string body) {
    string_response res{status, 11};
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

}  // namespace

std::pair<bool, std::string> readiness(wiring const& current) {
    boost::json::array entries;
    bool ready = true;
    std::size_t usable = 0;
    for (auto const& [key, authenticator] : current.authenticators) {
        auto const s = authenticator->status();
        bool const ok = is_ready(s);
        bool const skipped = !ok && current.scopes_optional && not_granted(s);
        if (ok) ++usable;
        if (!ok && !skipped) ready = false;
        boost::json::object entry{{"credential", s.credential},
                                  {"scopes", join(s.scopes)},
                                  {"state", skipped ? "not_granted" : state_name(s.current)},
                                  {"ready", ok}};
        if (skipped) entry["required"] = false;
        if (s.expires_at) entry["expires_in_s"] = static_cast<std::int64_t>(seconds_to_expiry(s));
        if (s.last_error) {
            entry["last_error"] = s.last_error->error;
            entry["last_error_description"] = s.last_error->description;
        }
        entries.push_back(std::move(entry));
    }
    if (usable == 0) ready = false;  // nothing could be forwarded
    boost::json::object doc{{"ready", ready}, {"credentials", std::move(entries)}};
    return {ready, boost::json::serialize(doc)};
}

std::vector<ops::token_gauge> token_gauges(authenticator_set const& authenticators) {
    std::vector<ops::token_gauge> gauges;
    for (auto const& [key, authenticator] : authenticators) {
        auto const s = authenticator->status();
        if (s.current == auth::auth_status::state::static_key) continue;
        gauges.push_back(ops::token_gauge{s.credential, join(s.scopes), seconds_to_expiry(s), s.fetches_ok,
                                          s.fetches_failed, s.consecutive_failures, s.requests_waited});
    }
    return gauges;
}

proxy::local_handler make_local_handler(std::function<wiring const&()> current,
                                        ops::metrics_registry const& metrics) {
    return [current = std::move(current), &metrics](std::string_view path) -> string_response {
        if (path == "/healthz") return respond(http::status::ok, "application/json", R"({"status":"ok"})");
        if (path == "/readyz") {
            auto [ready, body] = readiness(current());
            return respond(ready ? http::status::ok : http::status::service_unavailable, "application/json",
                           std::move(body));
        }
        if (path == "/metrics")
            return respond(http::status::ok, "text/plain; version=0.0.4",
                           metrics.render(token_gauges(current().authenticators)));
        return respond(
            http::status::not_found, "application/json",
            R"({"error":"not_found","detail":"unknown /_proxy/ endpoint; try healthz, readyz, metrics"})");
    };
}

}  // namespace aic::app

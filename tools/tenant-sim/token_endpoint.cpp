// AM's two token endpoints as the simulator verifies them: the RFC 7523 JWT bearer grant of
// service accounts (root realm) and the client credentials grant (per realm). Every check that
// AM makes and a client could get wrong is made here, with the failing check named in the error.
#include "crypto.hpp"
#include "form.hpp"
#include "sim_state.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

namespace aic::sim {
namespace {

namespace json = boost::json;

constexpr std::string_view jwt_bearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::int64_t max_assertion_lifetime_s = 1800;  // AM refuses exp more than 30 min ahead

struct jwt_parts {
    std::string header_b64, payload_b64, signature_b64;
};

std::optional<jwt_parts> split_jwt(std::string_view jwt) {
    auto const a = jwt.find('.');
    if (a == std::string_view::npos) return std::nullopt;
    auto const b = jwt.find('.', a + 1);
    if (b == std::string_view::npos || jwt.find('.', b + 1) != std::string_view::npos) return std::nullopt;
    return jwt_parts{std::string{jwt.substr(0, a)}, std::string{jwt.substr(a + 1, b - a - 1)},
                     std::string{jwt.substr(b + 1)}};
}

std::optional<json::object> decode_json_part(std::string_view b64) {
    auto const text = b64url_decode(b64);
    if (!text) return std::nullopt;
    boost::system::error_code ec;
    auto value = json::parse(*text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

std::string string_claim(json::object const& o, char const* name) {
    auto const* v = o.if_contains(name);
    return v && v->is_string() ? std::string{v->as_string()} : std::string{};
}

std::optional<std::int64_t> int_claim(json::object const& o, char const* name) {
    auto const* v = o.if_contains(name);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->as_uint64());
    return std::nullopt;
}

std::vector<std::string> split_scopes(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        auto const sp = text.find(' ');
        auto const word = text.substr(0, sp);
        if (!word.empty() && std::find(out.begin(), out.end(), word) == out.end()) out.emplace_back(word);
        text = sp == std::string_view::npos ? std::string_view{} : text.substr(sp + 1);
    }
    return out;
}

std::string get(std::map<std::string, std::string> const& form, char const* name) {
    auto const it = form.find(name);
    return it == form.end() ? std::string{} : it->second;
}

// The `iss` of an assertion, without verifying anything: only for per-credential counting.
std::string unverified_issuer(std::string_view assertion) {
    auto const parts = split_jwt(assertion);
    if (!parts) return {};
    auto const payload = decode_json_part(parts->payload_b64);
    return payload ? string_claim(*payload, "iss") : std::string{};
}

struct basic_credentials {
    bool present = false;
    bool valid = false;
    std::string id, secret;
};

// RFC 6749 §2.3.1: base64 of urlencode(id) ":" urlencode(secret); split at the first ':'.
basic_credentials parse_basic(std::string_view authorization) {
    constexpr std::string_view scheme = "basic ";
    basic_credentials out;
    if (authorization.size() < scheme.size()) return out;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return out;
    }
    out.present = true;
    auto const decoded = b64_decode(authorization.substr(scheme.size()));
    if (!decoded) return out;
    auto const colon = decoded->find(':');
    if (colon == std::string::npos) return out;
    auto id = form_decode(std::string_view{*decoded}.substr(0, colon));
    auto secret = form_decode(std::string_view{*decoded}.substr(colon + 1));
    if (!id || !secret) return out;
    out.valid = true;
    out.id = std::move(*id);
    out.secret = std::move(*secret);
    return out;
}

std::string_view realm_of(std::string_view path) {
    constexpr std::string_view realms = "/am/oauth2/realms/root/realms/";
    if (path.substr(0, realms.size()) != realms) return {};
    auto rest = path.substr(realms.size());
    return rest.substr(0, rest.find('/'));
}

}  // namespace

sim_response sim_state::error(unsigned status, std::string const& code, std::string const& description) {
    ++counters_.token_errors;
    json::object body;
    body["error"] = code;
    body["error_description"] = description;
    return {status, json::serialize(body), false};
}

sim_response sim_state::token_endpoint(token_request const& req) {
    std::lock_guard lock{mu_};
    ++counters_.token_requests;
    bool const is_sa = req.path == "/am/oauth2/access_token";
    auto const form = parse_form(req.body);

    std::string credential;
    if (is_sa) {
        if (form) credential = unverified_issuer(get(*form, "assertion"));
    } else {
        auto const basic = parse_basic(req.authorization);
        credential = basic.valid ? basic.id : form ? get(*form, "client_id") : std::string{};
    }
    if (!credential.empty()) ++by_credential_[credential];

    switch (token_fault_) {
        case token_fault::none: break;
        case token_fault::http_500: return error(500, "server_error", "simulated internal error");
        case token_fault::hang: ++counters_.token_errors; return {0, {}, true};
        case token_fault::garbage_json: ++counters_.token_errors; return {200, "{\"access_tok", false};
        case token_fault::refuse_all: return error(400, "invalid_grant", "simulated refusal");
    }
    if (req.method != "POST") return error(405, "invalid_request", "the token endpoint takes POST");
    if (!form) return error(400, "invalid_request", "malformed form body");
    if (is_sa) return service_account_grant(req, *form);
    return client_grant(req, realm_of(req.path), *form);
}

sim_response sim_state::service_account_grant(token_request const&,
                                              std::map<std::string, std::string> const& form) {
    if (get(form, "grant_type") != jwt_bearer)
        return error(400, "invalid_grant", "grant_type is not jwt-bearer");
    if (get(form, "client_id") != "service-account")
        return error(400, "invalid_client", "client_id must be service-account");
    auto const assertion = get(form, "assertion");
    if (assertion.empty()) return error(400, "invalid_grant", "assertion missing");
    auto const parts = split_jwt(assertion);
    if (!parts) return error(400, "invalid_grant", "assertion is not a JWT of three parts");
    auto const header = decode_json_part(parts->header_b64);
    if (!header) return error(400, "invalid_grant", "JWT header is not base64url JSON");
    if (string_claim(*header, "alg") != "RS256") return error(400, "invalid_grant", "JWT alg is not RS256");
    auto const claims = decode_json_part(parts->payload_b64);
    if (!claims) return error(400, "invalid_grant", "JWT claims are not base64url JSON");

    auto const iss = string_claim(*claims, "iss");
    if (iss.empty() || string_claim(*claims, "sub") != iss)
        return error(400, "invalid_grant", "iss and sub differ");
    auto const key_it = sa_keys_.find(iss);
    if (key_it == sa_keys_.end()) return error(400, "invalid_grant", "unknown service account");

    auto const signature = b64url_decode(parts->signature_b64);
    auto const key = pkey_from_jwk(key_it->second);
    if (!signature || !key ||
        !verify_rs256(key.get(), parts->header_b64 + "." + parts->payload_b64, *signature))
        return error(400, "invalid_grant", "JWT signature does not verify");

    std::string const expected_aud =
        "https://" + opts_.public_host + ":" + std::to_string(port_) + "/am/oauth2/access_token";
    bool aud_ok = false;
    if (auto const* aud = claims->if_contains("aud")) {
        if (aud->is_string()) aud_ok = aud->as_string() == expected_aud;
        if (aud->is_array()) {
            for (auto const& a : aud->as_array())
                aud_ok = aud_ok || (a.is_string() && a.as_string() == expected_aud);
        }
    }
    if (!aud_ok) return error(400, "invalid_grant", "aud is not " + expected_aud);

    auto const exp = int_claim(*claims, "exp");
    auto const now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    if (!exp) return error(400, "invalid_grant", "exp missing");
    if (*exp <= now) return error(400, "invalid_grant", "JWT has expired");
    if (*exp > now + max_assertion_lifetime_s)
        return error(400, "invalid_grant", "exp is more than 30 minutes in the future");

    auto const jti = string_claim(*claims, "jti");
    if (jti.empty()) return error(400, "invalid_grant", "jti missing");
    if (!seen_jti_.insert(jti).second) return error(400, "invalid_grant", "jti has been used before");

    std::vector<std::string> allowed;
    for (auto const& sa : opts_.service_accounts) {
        if (sa.id == iss) allowed = sa.scopes;
    }
    return grant(iss, allowed, get(form, "scope"), true, opts_.expires_in_service_account);
}

sim_response sim_state::client_grant(token_request const& req, std::string_view realm,
                                     std::map<std::string, std::string> const& form) {
    auto const basic = parse_basic(req.authorization);
    std::string id, secret;
    if (basic.present) {
        if (!basic.valid) return error(401, "invalid_client", "malformed Basic credentials");
        id = basic.id;
        secret = basic.secret;
    } else {
        id = get(form, "client_id");
        secret = get(form, "client_secret");
        if (id.empty()) return error(401, "invalid_client", "client authentication missing");
    }
    auto const it = std::find_if(opts_.clients.begin(), opts_.clients.end(),
                                 [&](oauth_client const& c) { return c.client_id == id; });
    if (it == opts_.clients.end() || it->secret != secret || it->realm != realm)
        return error(401, "invalid_client", "Client authentication failed");
    if (get(form, "grant_type") != "client_credentials")
        return error(400, "unsupported_grant_type", "grant_type is not client_credentials");
    return grant(id, it->scopes, get(form, "scope"), false, opts_.expires_in_client);
}

sim_response sim_state::grant(std::string const& credential, std::vector<std::string> const& allowed,
                              std::string const& scope_param, bool is_service_account, int expires_in) {
    auto requested = split_scopes(scope_param);
    if (requested.empty()) requested = allowed;
    std::string unsupported;
    for (auto const& s : requested) {
        if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) continue;
        if (!unsupported.empty()) unsupported += ',';
        unsupported += s;
    }
    if (!unsupported.empty()) {
        return error(400, "invalid_scope",
                     std::string{is_service_account ? "Unsupported scope for service account: "
                                                    : "Unsupported scope for client: "} +
                         unsupported);
    }
    // AM does not keep the requested order; neither do we, so clients must compare as a set.
    std::reverse(requested.begin(), requested.end());
    std::string scope_text;
    for (auto const& s : requested) scope_text += (scope_text.empty() ? "" : " ") + s;

    ++counters_.tokens_issued;
    json::object body;
    body["access_token"] = mint(credential, requested, expires_in);
    body["scope"] = scope_text;
    body["token_type"] = "Bearer";
    body["expires_in"] = expires_in;
    return {200, json::serialize(body), false};
}

}  // namespace aic::sim

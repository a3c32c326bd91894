// The simulator's state: issued tokens, resource authorization, switches and counters.
#include "sim_state.hpp"

#include "crypto.hpp"

#include <algorithm>

namespace aic::sim {
namespace {

bool under(std::string_view path, std::string_view prefix) {
    return path.substr(0, prefix.size()) == prefix &&
           (path.size() == prefix.size() || path[prefix.size()] == '/');
}

bool has(std::vector<std::string> const& scopes, std::string_view s) {
    return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
}

// The scope a prefix's API demands (AIC's table, design §2), as a predicate on the token's scopes.
bool scope_allows(std::string_view path, std::vector<std::string> const& scopes) {
    if (under(path, "/openidm")) return has(scopes, "fr:idm:*");
    if (under(path, "/am")) return has(scopes, "fr:am:*");
    if (under(path, "/iga") || under(path, "/auto")) return has(scopes, "fr:iga:*");
    if (under(path, "/ws/admin")) return has(scopes, "fr:idc:ws:admin");
    if (under(path, "/environment")) {
        return std::any_of(scopes.begin(), scopes.end(),
                           [](std::string const& s) { return s.rfind("fr:idc:", 0) == 0; });
    }
    return false;
}

std::string_view bearer_of(std::string_view authorization) {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
            std::tolower(static_cast<unsigned char>(scheme[i])))
            return {};
    }
    return authorization.substr(scheme.size());
}

}  // namespace

sim_state::sim_state(options opts) : opts_(std::move(opts)) {
    for (auto const& sa : opts_.service_accounts) sa_keys_[sa.id] = sa.public_jwk;
}

void sim_state::set_port(std::uint16_t port) {
    std::lock_guard lock{mu_};
    port_ = port;
}

std::uint16_t sim_state::port() const {
    std::lock_guard lock{mu_};
    return port_;
}

bool sim_state::is_token_path(std::string_view path) {
    constexpr std::string_view realms = "/am/oauth2/realms/root/realms/";
    constexpr std::string_view suffix = "/access_token";
    if (path == "/am/oauth2/access_token") return true;
    if (path.substr(0, realms.size()) != realms) return false;
    std::string_view rest = path.substr(realms.size());
    return rest.size() > suffix.size() && rest.substr(rest.size() - suffix.size()) == suffix &&
           rest.substr(0, rest.size() - suffix.size()).find('/') == std::string_view::npos;
}

bool sim_state::is_resource_path(std::string_view path) {
    if (is_token_path(path)) return false;
    for (std::string_view p :
         {"/openidm", "/am", "/iga", "/auto", "/environment", "/ws/admin", "/monitoring"}) {
        if (under(path, p)) return true;
    }
    return false;
}

void sim_state::note_resource_request(std::vector<std::string> header_lines) {
    std::lock_guard lock{mu_};
    ++counters_.resource_requests;
    last_headers_ = std::move(header_lines);
}

void sim_state::note_tls_connection(bool resumed) {
    std::lock_guard lock{mu_};
    ++counters_.tls_connections;
    if (resumed) ++counters_.tls_resumed;
}

void sim_state::discount_tls_connection(bool resumed) {
    std::lock_guard lock{mu_};
    if (counters_.tls_connections > 0) --counters_.tls_connections;
    if (resumed && counters_.tls_resumed > 0) --counters_.tls_resumed;
}

resource_auth sim_state::authorize(std::string_view path, std::string_view authorization,
                                   std::string_view api_key, std::string_view api_secret) {
    std::lock_guard lock{mu_};
    if (under(path, "/monitoring")) {
        for (auto const& k : opts_.api_keys) {
            if (!api_key.empty() && k.key_id == api_key && k.secret == api_secret)
                return {200, "", k.key_id, {}};
        }
        return {401, "invalid_client", "", {}};
    }
    auto const token = bearer_of(authorization);
    auto const it = tokens_.find(std::string{token});
    if (token.empty() || it == tokens_.end()) return {401, "invalid_token", "", {}};
    if (clock::now() >= it->second.expiry) {
        tokens_.erase(it);
        return {401, "invalid_token", "", {}};
    }
    if (!scope_allows(path, it->second.scopes)) return {403, "insufficient_scope", it->second.credential, {}};
    return {200, "", it->second.credential, it->second.scopes};
}

std::string sim_state::mint(std::string const& credential, std::vector<std::string> scopes, int expires_in) {
    std::string token = random_token();
    tokens_[token] = issued{credential, std::move(scopes), clock::now() + std::chrono::seconds{expires_in}};
    return token;
}

void sim_state::set_token_fault(token_fault f) {
    std::lock_guard lock{mu_};
    token_fault_ = f;
}

void sim_state::set_expires_in(int seconds) {
    std::lock_guard lock{mu_};
    opts_.expires_in_service_account = seconds;
    opts_.expires_in_client = seconds;
}

void sim_state::revoke_all_tokens() {
    std::lock_guard lock{mu_};
    tokens_.clear();
}

void sim_state::set_service_account_key(std::string const& id, std::string public_jwk) {
    std::lock_guard lock{mu_};
    sa_keys_[id] = std::move(public_jwk);
}

bool sim_state::set_service_account_scopes(std::string const& id, std::vector<std::string> scopes) {
    std::lock_guard lock{mu_};
    for (auto& sa : opts_.service_accounts) {
        if (sa.id != id) continue;
        sa.scopes = std::move(scopes);
        return true;
    }
    return false;
}

void sim_state::set_resource_fault(std::string fault) {
    std::lock_guard lock{mu_};
    resource_fault_ = std::move(fault);
}

std::string sim_state::resource_fault() const {
    std::lock_guard lock{mu_};
    return resource_fault_;
}

counters sim_state::stats() const {
    std::lock_guard lock{mu_};
    return counters_;
}

std::string sim_state::issue_token(std::string const& credential_id, std::vector<std::string> scopes,
                                   int expires_in) {
    std::lock_guard lock{mu_};
    return mint(credential_id, std::move(scopes), expires_in);
}

std::map<std::string, std::uint64_t> sim_state::token_requests_by_credential() const {
    std::lock_guard lock{mu_};
    return by_credential_;
}

std::vector<std::string> sim_state::last_request_headers() const {
    std::lock_guard lock{mu_};
    return last_headers_;
}

}  // namespace aic::sim

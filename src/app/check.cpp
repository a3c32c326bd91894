// `aic-proxy check` (see check.hpp). Prints lengths and file names of secrets, never their values.
#include "app/check.hpp"

#include "app/cli.hpp"
#include "auth/private_key.hpp"

#include <ostream>
#include <string>

namespace aic::app {
namespace {

std::string masked(secret const& s, std::string const& file) {
    std::string out = "set (" + std::to_string(s.size()) + " bytes)";
    out += file.empty() ? " from the environment" : " from " + file;
    return out;
}

std::string joined(std::vector<std::string> const& items, std::string_view empty) {
    if (items.empty()) return std::string{empty};
    std::string out;
    for (auto const& item : items) out += (out.empty() ? "" : " ") + item;
    return out;
}

std::string_view type_name(config::credential_type t) {
    switch (t) {
        case config::credential_type::service_account: return "service_account";
        case config::credential_type::client_credentials: return "client_credentials";
        case config::credential_type::api_key: return "api_key";
    }
    return "?";
}

// Prints one credential; returns false when its key cannot be used.
bool check_credential(config::credential const& c, std::ostream& out, std::ostream& err) {
    out << "  " << c.name << ": " << type_name(c.type) << "\n";
    switch (c.type) {
        case config::credential_type::service_account: {
            out << "    account_id: " << c.account_id << "\n";
            out << "    key: " << masked(c.key_material, c.key_file) << "\n";
            try {
                auto const key = auth::load_private_key(c.key_material.reveal());
                out << "    key type: " << auth::describe_key(c.key_material.reveal()) << "\n";
            } catch (auth::key_error const& e) {
                err << "check: credentials." << c.name << ": key not usable: " << e.what() << "\n";
                return false;
            }
            out << "    token endpoint: " << c.token_endpoint.text() << "\n";
            out << "    assertion audience: " << c.token_endpoint.with_explicit_port() << "\n";
            break;
        }
        case config::credential_type::client_credentials:
            out << "    client_id: " << c.client_id << "\n";
            out << "    client_secret: " << masked(c.client_secret, c.client_secret_file) << "\n";
            out << "    auth_method: "
                << (c.auth_method == config::client_auth_method::basic ? "basic" : "post") << "\n";
            out << "    realm: " << c.realm << "\n";
            out << "    token endpoint: " << c.token_endpoint.text() << "\n";
            break;
        case config::credential_type::api_key:
            out << "    key_id: " << c.key_id << "\n";
            out << "    secret: " << masked(c.api_secret, c.secret_file) << "\n";
            break;
    }
    return true;
}

void print_route(config::config const& cfg, config::route const& r, std::ostream& out) {
    out << "  " << r.prefix << " -> " << r.credential << "\n";
    auto const& cred = cfg.credentials.at(r.credential);
    if (cred.type == config::credential_type::api_key)
        out << "    auth: X-API-Key / X-API-Secret\n";
    else
        out << "    scopes: " << joined(r.scopes, "(none)") << "\n";
    out << "    methods: " << joined(r.methods, "all") << "\n";
    if (!r.headers.empty()) {
        std::vector<std::string> names;
        for (auto const& [name, value] : r.headers) names.push_back(name);
        out << "    extra headers: " << joined(names, "") << "\n";
    }
    out << "    upstream: " << (r.upstream ? r.upstream->text() : cfg.tenant.text()) << "\n";
}

}  // namespace

int run_check(config::config const& cfg, std::ostream& out, std::ostream& err) {
    bool ok = true;
    out << "config: " << cfg.source << "\n";
    out << "tenant: " << cfg.tenant.text() << "\n";
    out << "listen:";
    for (auto const& l : cfg.listen) out << " " << l.text;
    out << "\n";
    out << "tls ca: " << (cfg.tls.ca_file.empty() ? std::string{"system default"} : cfg.tls.ca_file) << "\n";
    out << "threads: " << cfg.threads << "\n";
    out << "credentials:\n";
    for (auto const& [name, c] : cfg.credentials) ok = check_credential(c, out, err) && ok;
    out << "routes" << (cfg.builtin_routes ? " (built-in AIC table)" : "") << ":\n";
    for (auto const& r : cfg.routes) print_route(cfg, r, out);
    if (!cfg.security.client_key.empty())
        out << "client key: " << masked(cfg.security.client_key, cfg.security.client_key_file) << "\n";
    if (cfg.security.read_only) out << "read-only mode: on\n";
    out << (ok ? "OK\n" : "FAILED\n");
    return ok ? exit_ok : exit_failure;
}

}  // namespace aic::app

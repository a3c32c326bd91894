// Everything the simulator knows and counts, behind one mutex, with no networking in it: the
// server turns requests into calls on this and the results back into HTTP.
#pragma once

#include "tenant_sim.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace aic::sim {

struct sim_response {
    unsigned status = 200;
    std::string body;   // JSON text (or deliberately broken JSON for the garbage fault)
    bool hang = false;  // read the request, never answer
};

struct token_request {
    std::string method;
    std::string path;
    std::string authorization;
    std::string body;
};

struct resource_auth {
    unsigned status = 200;  // 200, 401 or 403
    std::string error;
    std::string credential;
    std::vector<std::string> scopes;
};

class sim_state {
public:
    explicit sim_state(options opts);

    options const& config() const { return opts_; }  // immutable parts only (host, cert paths)
    void set_port(std::uint16_t port);
    std::uint16_t port() const;

    static bool is_token_path(std::string_view path);
    static bool is_resource_path(std::string_view path);    // token paths excluded
    sim_response token_endpoint(token_request const& req);  // token_endpoint.cpp

    // Counts and records a resource request before anything else looks at it.
    void note_resource_request(std::vector<std::string> header_lines);
    resource_auth authorize(std::string_view path, std::string_view authorization, std::string_view api_key,
                            std::string_view api_secret);
    void note_tls_connection(bool resumed);
    // A connection whose first request is a control request (a test reading stats) is not
    // tenant traffic: it is taken back out of tls_connections so keep-alive assertions stay exact.
    void discount_tls_connection(bool resumed);

    void set_token_fault(token_fault f);
    void set_expires_in(int seconds);
    void revoke_all_tokens();
    void set_service_account_key(std::string const& id, std::string public_jwk);
    // The scopes the account was created with (what it may be granted); false: unknown account.
    bool set_service_account_scopes(std::string const& id, std::vector<std::string> scopes);
    void set_resource_fault(std::string fault);
    std::string resource_fault() const;
    counters stats() const;
    std::string issue_token(std::string const& credential_id, std::vector<std::string> scopes,
                            int expires_in);
    std::map<std::string, std::uint64_t> token_requests_by_credential() const;
    std::vector<std::string> last_request_headers() const;

private:
    struct issued {
        std::string credential;
        std::vector<std::string> scopes;
        std::chrono::steady_clock::time_point expiry;
    };
    using clock = std::chrono::steady_clock;

    // All of these expect mu_ held.
    sim_response service_account_grant(token_request const& req,
                                       std::map<std::string, std::string> const& form);
    sim_response client_grant(token_request const& req, std::string_view realm,
                              std::map<std::string, std::string> const& form);
    sim_response grant(std::string const& credential, std::vector<std::string> const& allowed,
                       std::string const& scope_param, bool is_service_account, int expires_in);
    sim_response error(unsigned status, std::string const& code, std::string const& description);
    std::string mint(std::string const& credential, std::vector<std::string> scopes, int expires_in);

    options opts_;
    mutable std::mutex mu_;
    std::uint16_t port_ = 0;
    token_fault token_fault_ = token_fault::none;
    std::string resource_fault_;
    std::map<std::string, std::string> sa_keys_;  // account id -> public JWK text
    std::map<std::string, issued> tokens_;
    std::set<std::string> seen_jti_;
    counters counters_;
    std::map<std::string, std::uint64_t> by_credential_;
    std::vector<std::string> last_headers_;
};

}  // namespace aic::sim

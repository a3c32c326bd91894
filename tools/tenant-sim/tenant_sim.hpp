// A fake PingOne AIC tenant for tests and the demo: AM's two token endpoints (JWT bearer and
// client credentials, verified the way AM verifies them), resource APIs that check the issued
// tokens and echo what they received, fault switches, and counters.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace aic::sim {

struct service_account {
    std::string id;
    std::string public_jwk;  // JWK JSON text (kty RSA, n, e)
    std::vector<std::string> scopes;
};

struct oauth_client {
    std::string client_id;
    std::string secret;
    std::string realm = "alpha";
    std::vector<std::string> scopes;
};

struct api_key {
    std::string key_id;
    std::string secret;
};

struct options {
    std::string listen_host = "127.0.0.1";
    std::uint16_t port = 0;           // 0: ephemeral
    std::string cert_file, key_file;  // server TLS (PEM)
    // The host in the expected JWT aud: https://<public_host>:<port>/am/oauth2/access_token
    std::string public_host = "localhost";
    std::vector<service_account> service_accounts;
    std::vector<oauth_client> clients;
    std::vector<api_key> api_keys;
    int expires_in_service_account = 899;
    int expires_in_client = 3600;
};

enum class token_fault { none, http_500, hang, garbage_json, refuse_all /*400 invalid_grant*/ };

struct counters {
    std::uint64_t token_requests = 0;
    std::uint64_t tokens_issued = 0;
    std::uint64_t token_errors = 0;
    std::uint64_t resource_requests = 0;
    std::uint64_t tls_connections = 0;
    std::uint64_t tls_resumed = 0;  // of those, handshakes that resumed a session
};

class sim_state;
class sim_server;

// Runs its own io_context on its own thread; every method is thread-safe.
class tenant_sim {
public:
    explicit tenant_sim(options opts);
    ~tenant_sim();  // stops
    tenant_sim(tenant_sim const&) = delete;
    tenant_sim& operator=(tenant_sim const&) = delete;

    void start();  // throws when the listener cannot be set up
    void stop();
    std::uint16_t port() const;
    std::string base_url() const;  // https://localhost:<port>

    void set_token_fault(token_fault f);
    void set_expires_in(int seconds);  // both flows, for tokens issued from now on
    void revoke_all_tokens();          // issued tokens become invalid -> resource 401
    void set_service_account_key(std::string const& id, std::string public_jwk);  // key rotation
    void close_idle_connections();               // closes keep-alive connections that are between requests
    void set_resource_fault(std::string fault);  // "" none, "500", "hang" — for resource APIs
    counters stats() const;

    // Test hook: mints a valid token as if the token endpoint had issued it (for proxy tests that
    // use a stub authenticator). credential_id = a service account id or client id.
    std::string issue_token(std::string const& credential_id, std::vector<std::string> scopes,
                            int expires_in = 899);
    std::map<std::string, std::uint64_t> token_requests_by_credential() const;
    // "name: value" lines of the last resource request (for "upstream never saw X" tests).
    std::vector<std::string> last_request_headers() const;

private:
    std::shared_ptr<sim_state> state_;
    std::unique_ptr<sim_server> server_;
};

// A fresh RSA private key as a JWK (kty, n, e, d, p, q, dp, dq, qi, kid), for tests and the demo.
std::string generate_rsa_key_jwk(int bits = 2048);
// The public half (kty, n, e, kid) of a private JWK.
std::string public_jwk_of(std::string const& private_jwk);

}  // namespace aic::sim

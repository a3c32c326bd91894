// The real tenant-sim binary for integration tests: a demo-setup directory in a fresh temp dir,
// the simulator on an ephemeral port, and its control API (stats, faults) over verified TLS.
#pragma once

#include "child_process.hpp"
#include "http_client.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace aic::test {

struct sim_stats {
    std::uint64_t token_requests = 0, tokens_issued = 0, token_errors = 0, resource_requests = 0,
                  tls_connections = 0, tls_resumed = 0;
};

class sim_process {
public:
    sim_process();   // throws when the simulator does not come up within 30 s
    ~sim_process();  // stops it and removes the directory
    sim_process(sim_process const&) = delete;
    sim_process& operator=(sim_process const&) = delete;

    std::uint16_t port() const { return port_; }
    std::string base_url() const { return "https://localhost:" + std::to_string(port_); }
    // ca.pem, localhost.pem/.key, sa.jwk, iga.secret, logs.secret, sim.json, and demo.json (an
    // aic-proxy config whose "tenant" names this simulator's real port).
    std::filesystem::path const& dir() const { return dir_; }
    child_process& process() { return *process_; }
    tls_settings tls() const { return {(dir_ / "ca.pem").string(), "localhost"}; }

    sim_stats stats();
    void set_token_fault(std::string const& name);     // none|http_500|hang|garbage_json|refuse_all
    void set_resource_fault(std::string const& name);  // ""|500|hang
    void revoke_all_tokens();
    void set_expires_in(int seconds);
    void close_idle_connections();
    // Key rotation: from now on the account's JWT assertions must verify with `public_jwk` (JSON).
    void set_service_account_key(std::string const& account_id, std::string const& public_jwk);
    // From now on the account may be granted only `scopes` (space-separated).
    void set_service_account_scopes(std::string const& account_id, std::string const& scopes);

private:
    http_response control(std::string const& method, std::string const& target, std::string const& body = {});

    std::filesystem::path dir_;
    std::unique_ptr<child_process> process_;
    std::uint16_t port_ = 0;
};

}  // namespace aic::test

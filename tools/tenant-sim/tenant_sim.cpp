// The public face of the simulator: forwards to the state (switches, counters) and the server.
#include "tenant_sim.hpp"

#include "sim_server.hpp"
#include "sim_state.hpp"

namespace aic::sim {

tenant_sim::tenant_sim(options opts)
    : state_(std::make_shared<sim_state>(std::move(opts))), server_(std::make_unique<sim_server>(state_)) {}

tenant_sim::~tenant_sim() {
    stop();
}

void tenant_sim::start() {
    server_->start();
}
void tenant_sim::stop() {
    server_->stop();
}
std::uint16_t tenant_sim::port() const {
    return server_->port();
}
std::string tenant_sim::base_url() const {
    return "https://localhost:" + std::to_string(port());
}
void tenant_sim::set_token_fault(token_fault f) {
    state_->set_token_fault(f);
}
void tenant_sim::set_expires_in(int seconds) {
    state_->set_expires_in(seconds);
}
void tenant_sim::revoke_all_tokens() {
    state_->revoke_all_tokens();
}
void tenant_sim::set_service_account_key(std::string const& id, std::string public_jwk) {
    state_->set_service_account_key(id, std::move(public_jwk));
}
void tenant_sim::close_idle_connections() {
    server_->close_idle_connections();
}
void tenant_sim::set_resource_fault(std::string fault) {
    state_->set_resource_fault(std::move(fault));
}
counters tenant_sim::stats() const {
    return state_->stats();
}
std::string tenant_sim::issue_token(std::string const& credential_id, std::vector<std::string> scopes,
                                    int expires_in) {
    return state_->issue_token(credential_id, std::move(scopes), expires_in);
}
std::map<std::string, std::uint64_t> tenant_sim::token_requests_by_credential() const {
    return state_->token_requests_by_credential();
}
std::vector<std::string> tenant_sim::last_request_headers() const {
    return state_->last_request_headers();
}

}  // namespace aic::sim

// sim_process (see sim_process.hpp).
#include "sim_process.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace aic::test {
namespace {

namespace json = boost::json;

constexpr auto startup_timeout = std::chrono::seconds{30};

std::string read_file(std::filesystem::path const& p) {
    std::ifstream in{p};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::filesystem::path make_temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "aic-sim.XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

std::uint64_t num(json::object const& o, char const* name) {
    auto const* v = o.if_contains(name);
    return v ? v->to_number<std::uint64_t>() : 0;
}

}  // namespace

sim_process::sim_process() : dir_(make_temp_dir()) {
    try {
        {
            child_process setup{AIC_TENANT_SIM_BIN, {"demo-setup", dir_.string()}};
            if (setup.wait() != 0)
                throw std::runtime_error("tenant-sim demo-setup failed: " + setup.stderr_text());
        }
        auto const port_file = dir_ / "sim.port";
        process_ = std::make_unique<child_process>(
            AIC_TENANT_SIM_BIN,
            std::vector<std::string>{"--config", (dir_ / "sim.json").string(), "--cert",
                                     (dir_ / "localhost.pem").string(), "--key",
                                     (dir_ / "localhost.key").string(), "--listen", "127.0.0.1:0",
                                     "--port-file", port_file.string()},
            std::map<std::string, std::string>{}, dir_);
        // The banner is printed after the port file is renamed into place, so one wait covers both.
        if (!process_->wait_for_line("tenant-sim listening on", startup_timeout, output::out))
            throw std::runtime_error("tenant-sim did not start: " + process_->stderr_text());
        port_ = static_cast<std::uint16_t>(std::stoul(read_file(port_file)));

        auto demo = json::parse(read_file(dir_ / "demo.json"));
        demo.as_object()["tenant"] = base_url();
        std::ofstream{dir_ / "demo.json", std::ios::trunc} << json::serialize(demo) << "\n";
    } catch (...) {
        process_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        throw;
    }
}

sim_process::~sim_process() {
    if (process_) {
        process_->terminate();
        if (!process_->wait_for(std::chrono::seconds{10})) process_->kill();
        process_.reset();
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

http_response sim_process::control(std::string const& method, std::string const& target,
                                   std::string const& body) {
    http_client client{"127.0.0.1", port_, tls(), std::chrono::seconds{10}};
    auto res = client.request(method, target, {}, body);
    if (res.status != 200) throw std::runtime_error("tenant-sim control " + target + ": " + res.body);
    return res;
}

sim_stats sim_process::stats() {
    auto const body = json::parse(control("GET", "/_sim/stats").body).as_object();
    return {num(body, "token_requests"),    num(body, "tokens_issued"),   num(body, "token_errors"),
            num(body, "resource_requests"), num(body, "tls_connections"), num(body, "tls_resumed")};
}

void sim_process::set_token_fault(std::string const& name) {
    control("POST", "/_sim/fault?token=" + name);
}
void sim_process::set_resource_fault(std::string const& name) {
    control("POST", "/_sim/resource_fault?f=" + name);
}
void sim_process::revoke_all_tokens() {
    control("POST", "/_sim/revoke");
}
void sim_process::set_expires_in(int seconds) {
    control("POST", "/_sim/expires_in?s=" + std::to_string(seconds));
}
void sim_process::close_idle_connections() {
    control("POST", "/_sim/close_idle");
}
void sim_process::set_service_account_key(std::string const& account_id, std::string const& public_jwk) {
    control("POST", "/_sim/service_account_key?id=" + account_id, public_jwk);
}

void sim_process::set_service_account_scopes(std::string const& account_id, std::string const& scopes) {
    control("POST", "/_sim/service_account_scopes?id=" + account_id, scopes);
}

}  // namespace aic::test

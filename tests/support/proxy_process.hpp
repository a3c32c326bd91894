// The real aic-proxy binary for integration tests: a config written to a file, the daemon on an
// ephemeral loopback port (read from its "listening on" log line), its peak RSS and signals.
#pragma once

#include "child_process.hpp"
#include "http_client.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace aic::test {

// The simulator's demo config (tenant = this simulator, its CA, the three demo credentials,
// built-in routes) with "listen" set to an ephemeral loopback port.
boost::json::object demo_config(sim_process& sim);

class proxy_process {
public:
    // Writes `config` to <dir>/<name>.json and starts `aic-proxy --config` on it; throws when no
    // "listening on 127.0.0.1:PORT" line appears within 30 s (the message quotes stderr).
    proxy_process(std::filesystem::path const& dir, boost::json::object const& config,
                  std::string const& name = "proxy", std::map<std::string, std::string> extra_env = {});
    ~proxy_process();  // SIGKILL if still running
    proxy_process(proxy_process const&) = delete;
    proxy_process& operator=(proxy_process const&) = delete;

    std::uint16_t port() const { return port_; }
    std::filesystem::path const& config_path() const { return config_path_; }
    child_process& process() { return *process_; }
    std::unique_ptr<http_client> client(std::chrono::milliseconds timeout = std::chrono::seconds{30}) const;

    // Replaces the config file's content (for SIGHUP tests).
    void rewrite_config(boost::json::object const& config) const;
    void reload();  // SIGHUP
    // VmHWM of the running process, in KiB (0 when it cannot be read).
    std::uint64_t peak_rss_kib() const;
    std::uint64_t current_rss_kib() const;

private:
    std::filesystem::path config_path_;
    std::unique_ptr<child_process> process_;
    std::uint16_t port_ = 0;
};

}  // namespace aic::test

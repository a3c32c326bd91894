// proxy_process (see proxy_process.hpp).
#include "proxy_process.hpp"

#include <csignal>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace aic::test {
namespace {

namespace json = boost::json;

constexpr auto startup_timeout = std::chrono::seconds{30};

std::uint64_t status_field_kib(pid_t pid, std::string const& field) {
    std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
    }
    return 0;
}

void write_json(std::filesystem::path const& path, json::object const& config) {
    std::ofstream out{path, std::ios::trunc};
    out << json::serialize(config) << "\n";
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

json::object demo_config(sim_process& sim) {
    std::ifstream in{sim.dir() / "demo.json"};
    std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    auto config = json::parse(text).as_object();
    config["listen"] = json::array{"127.0.0.1:0"};
    return config;
}

proxy_process::proxy_process(std::filesystem::path const& dir, json::object const& config,
                             std::string const& name, std::map<std::string, std::string> extra_env)
    : config_path_(dir / (name + ".json")) {
    write_json(config_path_, config);
    process_ = std::make_unique<child_process>(AIC_PROXY_BIN,
                                               std::vector<std::string>{"--config", config_path_.string()},
                                               std::move(extra_env), dir);
    static std::regex const listening{R"(listening on 127\.0\.0\.1:(\d+))"};
    auto const line = process_->wait_for_regex(listening, startup_timeout);
    std::smatch m;
    if (!line || !std::regex_search(*line, m, listening))
        throw std::runtime_error("aic-proxy did not start: " + process_->stderr_text());
    port_ = static_cast<std::uint16_t>(std::stoul(m[1].str()));
}

proxy_process::~proxy_process() = default;

std::unique_ptr<http_client> proxy_process::client(std::chrono::milliseconds timeout) const {
    return std::make_unique<http_client>("127.0.0.1", port_, timeout);
}

void proxy_process::rewrite_config(json::object const& config) const {
    write_json(config_path_, config);
}

void proxy_process::reload() {
    ::kill(process_->pid(), SIGHUP);
}

std::uint64_t proxy_process::peak_rss_kib() const {
    return status_field_kib(process_->pid(), "VmHWM");
}

std::uint64_t proxy_process::current_rss_kib() const {
    return status_field_kib(process_->pid(), "VmRSS");
}

}  // namespace aic::test

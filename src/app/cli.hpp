// The command line: argv -> cli_options (usage errors throw usage_error), the exit codes, and
// choosing the config source (file, or environment-only mode); load errors throw config_error.
#pragma once

#include "config/config.hpp"
#include "config/loader.hpp"

#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace aic::app {

// Documented in --help and docs/configuration.md.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;       // runtime failure, or `check` found a problem
inline constexpr int exit_config_error = 2;  // the configuration could not be loaded
inline constexpr int exit_usage = 64;        // bad command line (EX_USAGE)

inline constexpr std::string_view default_config_path = "/etc/aic-proxy/aic-proxy.json";

class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct cli_options {
    enum class command { run, check, token, version, help };
    command cmd = command::run;
    std::optional<std::filesystem::path> config_file;  // --config; absent: default path or environment

    // token: either a route prefix, or a credential with one or more scopes.
    std::string route;
    std::string credential;
    std::vector<std::string> scopes;
};

// args excludes argv[0].
cli_options parse_cli(std::span<char const* const> args);

std::string usage_text();
std::string_view version();

// --config FILE; else the default path when it exists; else environment-only mode when
// AIC_TENANT is set; else a config_error explaining the three options.
config::config load_configuration(cli_options const& options, config::load_environment const& env,
                                  config::warning_sink const& warn,
                                  std::filesystem::path const& default_path = default_config_path);

}  // namespace aic::app

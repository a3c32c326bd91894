// Loading and validating the configuration. Errors throw config_error whose what() names the
// JSON path ("config: credentials.sa.key_file: cannot read ...") and never a secret's value.
#pragma once

#include "config/config.hpp"

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace aic::config {

class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Where secrets and environment come from; injectable so tests need not touch the process env.
struct load_environment {
    std::function<std::optional<std::string>(std::string const&)> getenv;  // default: ::getenv
    static load_environment process();
};

// Warnings that do not stop loading (e.g. a secret file readable by others).
using warning_sink = std::function<void(std::string const&)>;

config load_config_file(std::filesystem::path const& file, load_environment const& env,
                        warning_sink const& warn);
config load_config_text(std::string_view json_text, std::string source, load_environment const& env,
                        warning_sink const& warn);
// Environment-only mode: AIC_TENANT, AIC_SA_ID, AIC_SA_KEY_FILE, AIC_CLIENT_ID,
// AIC_CLIENT_SECRET_FILE, AIC_LISTEN. Throws config_error naming the variable.
config load_config_from_env(load_environment const& env, warning_sink const& warn);

// The built-in AIC route table of docs/architecture.md for the configured credentials.
std::vector<route> builtin_routes(std::map<std::string, credential> const& credentials);

}  // namespace aic::config

// Command-line parsing and the choice of configuration source (see cli.hpp).
#include "app/cli.hpp"

#include <system_error>

#ifndef AIC_PROXY_VERSION
#define AIC_PROXY_VERSION "0.0.0"
#endif

namespace aic::app {
namespace {

struct option_value {
    std::string_view name;
    std::string_view value;
};

// "--name=value" or "--name value"; advances i past a separate value.
std::optional<option_value> take_value(std::span<char const* const> args, std::size_t& i,
                                       std::initializer_list<std::string_view> names) {
    std::string_view const arg = args[i];
    for (auto name : names) {
        if (arg == name) {
            if (i + 1 >= args.size()) throw usage_error(std::string{name} + " needs a value");
            return option_value{name, args[++i]};
        }
        if (name.starts_with("--") && arg.starts_with(name) && arg.size() > name.size() &&
            arg[name.size()] == '=')
            return option_value{name, arg.substr(name.size() + 1)};
    }
    return std::nullopt;
}

void non_empty(option_value const& v) {
    if (v.value.empty()) throw usage_error(std::string{v.name} + " needs a non-empty value");
}

}  // namespace

std::string_view version() {
    return AIC_PROXY_VERSION;
}

std::string usage_text() {
    return R"(usage:
  aic-proxy [run] [--config FILE]     run the proxy
  aic-proxy check [--config FILE]     validate the config and key files, print what would run
  aic-proxy token [--config FILE] --route PREFIX
  aic-proxy token [--config FILE] --credential NAME --scope SCOPE [--scope SCOPE ...]
                                      print one access token on stdout
  aic-proxy --version | --help

options:
  -c, --config FILE   the JSON config (default /etc/aic-proxy/aic-proxy.json; when it does not
                      exist and AIC_TENANT is set, the configuration comes from AIC_* variables)
  --route PREFIX      token: the route whose credential and scopes to use, e.g. /openidm
  --credential NAME   token: a credential name from the config
  --scope SCOPE       token: a scope to ask for (repeat for several)

exit codes:
  0   success
  1   runtime failure, or `check` found a problem
  2   the configuration could not be loaded (run, token)
  64  bad command line
)";
}

cli_options parse_cli(std::span<char const* const> args) {
    cli_options out;
    bool command_seen = false;
    bool help = false;
    bool show_version = false;
    bool token_options = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view const arg = args[i];
        if (arg == "--help" || arg == "-h") {
            help = true;
        } else if (arg == "--version" || arg == "-V") {
            show_version = true;
        } else if (auto v = take_value(args, i, {"--config", "-c"})) {
            non_empty(*v);
            if (out.config_file) throw usage_error("--config given twice");
            out.config_file = std::filesystem::path{v->value};
        } else if (auto r = take_value(args, i, {"--route"})) {
            non_empty(*r);
            if (!out.route.empty()) throw usage_error("--route given twice");
            out.route = r->value;
            token_options = true;
        } else if (auto c = take_value(args, i, {"--credential"})) {
            non_empty(*c);
            if (!out.credential.empty()) throw usage_error("--credential given twice");
            out.credential = c->value;
            token_options = true;
        } else if (auto s = take_value(args, i, {"--scope"})) {
            non_empty(*s);
            out.scopes.emplace_back(s->value);
            token_options = true;
        } else if (arg.starts_with('-')) {
            throw usage_error("unknown option " + std::string{arg});
        } else if (command_seen) {
            throw usage_error("unexpected argument " + std::string{arg});
        } else {
            command_seen = true;
            if (arg == "run")
                out.cmd = cli_options::command::run;
            else if (arg == "check")
                out.cmd = cli_options::command::check;
            else if (arg == "token")
                out.cmd = cli_options::command::token;
            else
                throw usage_error("unknown command " + std::string{arg} + " (expected run, check or token)");
        }
    }
    if (help) {
        out.cmd = cli_options::command::help;
        return out;
    }
    if (show_version) {
        out.cmd = cli_options::command::version;
        return out;
    }
    if (out.cmd != cli_options::command::token) {
        if (token_options) throw usage_error("--route, --credential and --scope belong to the token command");
        return out;
    }
    if (!out.route.empty()) {
        if (!out.credential.empty() || !out.scopes.empty())
            throw usage_error("token: give either --route, or --credential with --scope, not both");
        if (!out.route.starts_with('/'))
            throw usage_error("token: --route takes a path prefix such as /openidm");
    } else if (out.credential.empty()) {
        throw usage_error("token: give --route PREFIX, or --credential NAME --scope SCOPE");
    } else if (out.scopes.empty()) {
        throw usage_error("token: --credential needs at least one --scope");
    }
    return out;
}

config::config load_configuration(cli_options const& options, config::load_environment const& env,
                                  config::warning_sink const& warn,
                                  std::filesystem::path const& default_path) {
    if (options.config_file) return config::load_config_file(*options.config_file, env, warn);
    std::error_code ec;
    if (std::filesystem::exists(default_path, ec)) return config::load_config_file(default_path, env, warn);
    if (auto tenant = env.getenv("AIC_TENANT"); tenant && !tenant->empty())
        return config::load_config_from_env(env, warn);
    throw config::config_error("config: no configuration: " + default_path.string() +
                               " does not exist, no --config FILE was given and AIC_TENANT is not set");
}

}  // namespace aic::app

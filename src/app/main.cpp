// aic-proxy's entry point: parses the command line, loads the config and dispatches; maps
// failures to the documented exit codes (app/cli.hpp).
#include "app/check.hpp"
#include "app/cli.hpp"
#include "app/daemon.hpp"
#include "config/loader.hpp"
#include "ops/undumpable.hpp"

#include <csignal>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    using namespace aic::app;
    using command = cli_options::command;
    cli_options options;
    try {
        options = parse_cli({argv + (argc > 0 ? 1 : 0), static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)});
    } catch (usage_error const& e) {
        std::cerr << "aic-proxy: " << e.what() << "\n\n" << usage_text();
        return exit_usage;
    }
    if (options.cmd == command::help) {
        std::cout << usage_text();
        return exit_ok;
    }
    if (options.cmd == command::version) {
        std::cout << "aic-proxy " << version() << "\n";
        return exit_ok;
    }

    // OpenSSL writes to upstream sockets with write(2), which raises SIGPIPE on a connection the
    // peer has reset; its default action would end the process. The write reports EPIPE instead,
    // and the relay answers 502 or retries. (systemd ignores SIGPIPE for services; a container or
    // a shell does not.)
    std::signal(SIGPIPE, SIG_IGN);

    // Before any secret is read: from here on no core file or same-user debugger sees them.
    if (!aic::ops::make_undumpable()) std::cerr << "aic-proxy: warning: cannot mark the process undumpable\n";

    auto const env = aic::config::load_environment::process();
    aic::config::warning_sink const warn = [](std::string const& message) {
        std::cerr << "aic-proxy: warning: " << message << "\n";
    };
    try {
        auto cfg = load_configuration(options, env, warn);
        switch (options.cmd) {
            case command::check: return run_check(cfg, std::cout, std::cerr);
            case command::token: return print_token(cfg, options);
            default: break;
        }
        return run_daemon(std::move(cfg),
                          [options, env, warn] { return load_configuration(options, env, warn); });
    } catch (aic::config::config_error const& e) {
        std::cerr << "aic-proxy: " << e.what() << "\n";
        // `check` promises 0/1 (design.md §3); the other commands report a config error as 2.
        return options.cmd == command::check ? exit_failure : exit_config_error;
    } catch (std::exception const& e) {
        std::cerr << "aic-proxy: error: " << e.what() << "\n";
        return exit_failure;
    }
}

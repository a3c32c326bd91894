// tenant-sim: runs the fake AIC tenant until SIGTERM/SIGINT, or prepares a demo directory.
#include "demo_setup.hpp"
#include "sim_config.hpp"
#include "tenant_sim.hpp"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

int usage() {
    std::cerr << "usage: tenant-sim --config sim.json --cert CERT.pem --key KEY.pem [--listen HOST:PORT]"
                 " [--port-file FILE]\n"
                 "       tenant-sim demo-setup DIR [--port PORT]\n";
    return 64;
}

std::uint16_t parse_port(std::string const& text) {
    unsigned long const v = std::stoul(text);
    if (v > 65535) throw std::out_of_range("port");
    return static_cast<std::uint16_t>(v);
}

// A reader polling the file never sees it half-written: write aside, then rename.
void write_port_file(std::string const& path, std::uint16_t port) {
    std::string const tmp = path + ".tmp";
    {
        std::ofstream out{tmp, std::ios::trunc};
        out << port << '\n';
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path);
}

int run_demo_setup(std::vector<std::string> const& args) {
    if (args.empty()) return usage();
    std::uint16_t port = 8443;
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--port" && i + 1 < args.size()) {
            port = parse_port(args[++i]);
        } else {
            return usage();
        }
    }
    aic::sim::demo_setup(args[0], port);
    std::cout << "demo files written to " << args[0] << "\n";
    return 0;
}

int run_server(std::vector<std::string> const& args) {
    std::string config, cert, key, listen = "127.0.0.1:0", port_file;
    for (std::size_t i = 0; i < args.size(); ++i) {
        auto const next = [&]() -> std::string const& {
            if (i + 1 >= args.size()) throw std::invalid_argument(args[i] + " needs a value");
            return args[++i];
        };
        if (args[i] == "--config") {
            config = next();
        } else if (args[i] == "--cert") {
            cert = next();
        } else if (args[i] == "--key") {
            key = next();
        } else if (args[i] == "--listen") {
            listen = next();
        } else if (args[i] == "--port-file") {
            port_file = next();
        } else {
            return usage();
        }
    }
    if (config.empty() || cert.empty() || key.empty()) return usage();
    auto const colon = listen.rfind(':');
    if (colon == std::string::npos) return usage();

    auto opts = aic::sim::load_sim_config(config);
    opts.cert_file = cert;
    opts.key_file = key;
    opts.listen_host = listen.substr(0, colon);
    if (opts.listen_host.size() >= 2 && opts.listen_host.front() == '[')
        opts.listen_host = opts.listen_host.substr(1, opts.listen_host.size() - 2);
    opts.port = parse_port(listen.substr(colon + 1));

    // Block the stop signals before the io thread exists so only sigwait below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    aic::sim::tenant_sim sim{std::move(opts)};
    sim.start();
    if (!port_file.empty()) write_port_file(port_file, sim.port());
    std::cout << "tenant-sim listening on " << sim.base_url() << std::endl;

    int sig = 0;
    sigwait(&stop_signals, &sig);
    sim.stop();
    std::cerr << "tenant-sim stopped\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        if (!args.empty() && args[0] == "demo-setup") return run_demo_setup({args.begin() + 1, args.end()});
        return run_server(args);
    } catch (std::exception const& e) {
        std::cerr << "tenant-sim: " << e.what() << "\n";
        return 1;
    }
}

// The simulator's TLS listener and HTTP sessions (Asio kept out of this header).
#pragma once

#include <cstdint>
#include <memory>

namespace aic::sim {

class sim_state;

class sim_server {
public:
    explicit sim_server(std::shared_ptr<sim_state> state);
    ~sim_server();
    sim_server(sim_server const&) = delete;
    sim_server& operator=(sim_server const&) = delete;

    void start();  // binds, listens and starts the io thread; throws on failure
    void stop();   // closes every connection and joins the io thread; idempotent
    std::uint16_t port() const;
    void close_idle_connections();  // returns once the closing has been done

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace aic::sim

// A child program for integration tests: started with posix_spawn, stdout/stderr captured (to
// files and memory by a reader thread), waited on by line patterns without sleep loops.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace aic::test {

enum class output { any, out, err };

class child_process {
public:
    // `program` is a path; `extra_env` is added to (and overrides) the parent's environment.
    // Output is also written to <capture_dir>/<name>.stdout/.stderr when capture_dir is given.
    child_process(std::string program, std::vector<std::string> args,
                  std::map<std::string, std::string> extra_env = {}, std::filesystem::path capture_dir = {});
    ~child_process();  // SIGKILL if still running
    child_process(child_process const&) = delete;
    child_process& operator=(child_process const&) = delete;

    pid_t pid() const { return pid_; }

    // The first complete line containing `needle` (or matching `pattern`) seen so far or within
    // `timeout`; nullopt on timeout or when the child's output ended without one.
    std::optional<std::string> wait_for_line(std::string const& needle, std::chrono::milliseconds timeout,
                                             output which = output::any);
    std::optional<std::string> wait_for_regex(std::regex const& pattern, std::chrono::milliseconds timeout,
                                              output which = output::any);

    std::string stdout_text() const;
    std::string stderr_text() const;

    void terminate();  // SIGTERM
    void kill();       // SIGKILL
    // The exit code, or 128 + signal number when killed by a signal.
    int wait();
    // As wait(), but gives up after `timeout` (nullopt: still running).
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    bool running();

private:
    void drain_output();  // after exit: until the reader has all the child wrote
    template <class Match>
    std::optional<std::string> wait_until_line(Match match, std::chrono::milliseconds timeout, output which);
    void reader_loop(int out_fd, int err_fd, int stop_fd);
    void reap_blocking();

    pid_t pid_ = -1;
    std::optional<int> status_;
    int stop_pipe_[2] = {-1, -1};
    std::thread reader_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::string out_, err_;
    bool out_done_ = false, err_done_ = false;
    std::filesystem::path out_file_, err_file_;
};

}  // namespace aic::test

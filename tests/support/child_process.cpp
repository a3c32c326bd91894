// child_process (see child_process.hpp). The reader thread blocks in poll() on the child's pipes
// and a stop pipe; waiters block on a condition variable, so nothing sleeps in a loop.
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace aic::test {
namespace {

void make_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string{"pipe2: "} + std::strerror(errno));
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

template <class Match>
std::optional<std::string> find_line(std::string const& text, Match const& match) {
    std::size_t start = 0;
    for (;;) {
        auto const nl = text.find('\n', start);
        if (nl == std::string::npos) return std::nullopt;
        std::string line = text.substr(start, nl - start);
        if (match(line)) return line;
        start = nl + 1;
    }
}

}  // namespace

child_process::child_process(std::string program, std::vector<std::string> args,
                             std::map<std::string, std::string> extra_env,
                             std::filesystem::path capture_dir) {
    int out_pipe[2], err_pipe[2];
    make_pipe(out_pipe);
    make_pipe(err_pipe);
    make_pipe(stop_pipe_);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        std::string entry{*e};
        auto const name = entry.substr(0, entry.find('='));
        if (!extra_env.count(name)) env_strings.push_back(std::move(entry));
    }
    for (auto const& [k, v] : extra_env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);

    std::vector<std::string> argv_strings;
    argv_strings.push_back(program);
    for (auto& a : args) argv_strings.push_back(std::move(a));
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    int const rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        ::close(stop_pipe_[0]);
        ::close(stop_pipe_[1]);
        throw std::runtime_error("posix_spawn " + program + ": " + std::strerror(rc));
    }
    if (!capture_dir.empty()) {
        auto const base = std::filesystem::path{program}.filename().string();
        out_file_ = capture_dir / (base + ".stdout");
        err_file_ = capture_dir / (base + ".stderr");
    }
    reader_ =
        std::thread{[this, o = out_pipe[0], e = err_pipe[0], s = stop_pipe_[0]] { reader_loop(o, e, s); }};
}

child_process::~child_process() {
    if (!status_) {
        ::kill(pid_, SIGKILL);
        reap_blocking();
    }
    // A grandchild may still hold the pipes open: tell the reader to stop instead of awaiting EOF.
    char const byte = 'x';
    [[maybe_unused]] auto const n = ::write(stop_pipe_[1], &byte, 1);
    if (reader_.joinable()) reader_.join();
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
}

void child_process::reader_loop(int out_fd, int err_fd, int stop_fd) {
    std::ofstream out_file, err_file;
    if (!out_file_.empty()) out_file.open(out_file_, std::ios::binary);
    if (!err_file_.empty()) err_file.open(err_file_, std::ios::binary);
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    char buf[4096];
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[2].revents) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            auto const n = ::read(fds[i].fd, buf, sizeof buf);
            std::lock_guard lock{mu_};
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;  // poll ignores negative descriptors
                (i == 0 ? out_done_ : err_done_) = true;
            } else {
                (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
                auto& file = i == 0 ? out_file : err_file;
                if (file.is_open()) file.write(buf, n).flush();
            }
            cv_.notify_all();
        }
    }
    std::lock_guard lock{mu_};
    for (auto& f : fds) {
        if (f.fd >= 0 && f.fd != stop_fd) ::close(f.fd);
    }
    out_done_ = err_done_ = true;
    cv_.notify_all();
}

template <class Match>
std::optional<std::string> child_process::wait_until_line(Match match, std::chrono::milliseconds timeout,
                                                          output which) {
    std::unique_lock lock{mu_};
    std::optional<std::string> found;
    auto const done = [&] {
        if (which != output::err) found = find_line(out_, match);
        if (!found && which != output::out) found = find_line(err_, match);
        bool const ended = (which == output::err || out_done_) && (which == output::out || err_done_);
        return found.has_value() || ended;
    };
    cv_.wait_for(lock, timeout, done);
    return found;
}

std::optional<std::string> child_process::wait_for_line(std::string const& needle,
                                                        std::chrono::milliseconds timeout, output which) {
    return wait_until_line([&](std::string const& line) { return line.find(needle) != std::string::npos; },
                           timeout, which);
}

std::optional<std::string> child_process::wait_for_regex(std::regex const& pattern,
                                                         std::chrono::milliseconds timeout, output which) {
    return wait_until_line([&](std::string const& line) { return std::regex_search(line, pattern); }, timeout,
                           which);
}

std::string child_process::stdout_text() const {
    std::lock_guard lock{mu_};
    return out_;
}

std::string child_process::stderr_text() const {
    std::lock_guard lock{mu_};
    return err_;
}

void child_process::terminate() {
    if (!status_) ::kill(pid_, SIGTERM);
}

void child_process::kill() {
    if (!status_) ::kill(pid_, SIGKILL);
}

void child_process::reap_blocking() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) return;
    }
    status_ = decode_status(status);
}

int child_process::wait() {
    if (!status_) reap_blocking();
    drain_output();
    return status_.value_or(-1);
}

void child_process::drain_output() {
    // The child has exited, but its last writes may still sit in the pipes: what it printed is
    // all there once the reader has seen end-of-file on both (bounded, for a grandchild that
    // would keep them open).
    std::unique_lock lock{mu_};
    cv_.wait_for(lock, std::chrono::seconds{10}, [&] { return out_done_ && err_done_; });
}

bool child_process::running() {
    if (status_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = decode_status(status);
        return false;
    }
    return true;
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
    if (status_) {
        drain_output();
        return status_;
    }
    // A pidfd becomes readable when the child exits: poll it with the timeout instead of sleeping.
    int const fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (fd < 0) {
        if (!running()) return status_;
        return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    int const rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    ::close(fd);
    if (rc > 0) return wait();
    if (!running()) {
        drain_output();
        return status_;
    }
    return std::nullopt;
}

}  // namespace aic::test

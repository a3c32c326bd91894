// Secret references and secret files (see secrets.hpp).
#include "config/secrets.hpp"

#include <openssl/crypto.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace aic::config::detail {
namespace {

constexpr std::size_t max_secret_file_bytes = 1024 * 1024;

bool valid_env_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name) {
        bool const ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// Wipes a working buffer on every exit: after a failed check, and after a move out of a short
// string, whose characters stay in the moved-from object's inline buffer.
struct wipe_guard {
    std::string& text;
    ~wipe_guard() {
        if (text.capacity() > 0) OPENSSL_cleanse(text.data(), text.capacity());
    }
};

void trim_newlines(std::string& text) {
    // Shrinking never reallocates, so no unwiped copy is left behind.
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
}

}  // namespace

std::optional<std::string_view> reference_name(std::string_view value) {
    if (value.size() < 4 || !value.starts_with("${") || !value.ends_with('}')) return std::nullopt;
    return value.substr(2, value.size() - 3);
}

std::string expand(std::string value, json_path const& where, load_environment const& env) {
    auto const name = reference_name(value);
    if (!name) return value;
    if (!valid_env_name(*name))
        fail(where, "\"${...}\" must name an environment variable ([A-Za-z_][A-Za-z0-9_]*)");
    auto found = env.getenv(std::string{*name});
    if (!found) fail(where, "environment variable " + std::string{*name} + " is not set");
    if (found->empty()) fail(where, "environment variable " + std::string{*name} + " is empty");
    return std::move(*found);
}

std::filesystem::path resolve_secret_path(std::string value, json_path const& where,
                                          secret_context const& ctx) {
    std::filesystem::path file{expand(std::move(value), where, ctx.env)};
    if (file.empty()) fail(where, "empty file name");
    if (file.is_absolute()) return file.lexically_normal();
    if (auto dir = ctx.env.getenv("CREDENTIALS_DIRECTORY"); dir && !dir->empty())
        return (std::filesystem::path{*dir} / file).lexically_normal();
    return (ctx.base_dir / file).lexically_normal();
}

secret read_secret_file(std::filesystem::path const& file, json_path const& where, secret_context const& ctx,
                        trim how) {
    auto const name = file.string();
    int const fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail(where, "cannot read " + name + ": " + errno_text(errno));
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } const close_on_exit{fd};

    struct stat st {};
    if (::fstat(fd, &st) != 0) fail(where, "cannot read " + name + ": " + errno_text(errno));
    if (!S_ISREG(st.st_mode)) fail(where, name + " is not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) > max_secret_file_bytes)
        fail(where, name + " is larger than 1 MiB; is it the right file?");

    // One allocation of the final capacity: growing would leave unwiped copies on the heap.
    std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
    wipe_guard guard{text};
    std::size_t used = 0;
    while (used < text.size()) {
        auto const n = ::read(fd, text.data() + used, text.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(where, "cannot read " + name + ": " + errno_text(errno));
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    if (used == text.size()) fail(where, name + " changed while it was read");
    text.resize(used);
    if (how == trim::trailing_newlines) trim_newlines(text);
    if (text.empty()) fail(where, name + " is empty");

    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0 && ctx.warn) {
        ctx.warn("config: " + where.text() + ": " + name + " is readable by group or others (mode " +
                 octal_mode(st.st_mode) + "); chmod 600 it");
    }
    return secret{std::move(text)};
}

secret secret_from_reference(std::string value, json_path const& where, load_environment const& env,
                             trim how) {
    if (!reference_name(value)) {
        OPENSSL_cleanse(value.data(), value.size());
        fail(where,
             "must be a \"${ENV_NAME}\" reference; inline secrets are not accepted (use the *_file key)");
    }
    std::string text = expand(std::move(value), where, env);
    wipe_guard guard{text};
    if (how == trim::trailing_newlines) trim_newlines(text);
    if (text.empty()) fail(where, "the referenced environment variable holds only newlines");
    return secret{std::move(text)};
}

}  // namespace aic::config::detail

// Test helpers for the config tests: a fake environment, a private temp dir holding copies of the
// test-only credentials (mode 0600, which git does not keep), and an expect-error helper.
#pragma once

#include "config/loader.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <stdlib.h>

namespace aic::config::test {

namespace fs = std::filesystem;

inline fs::path data_dir() {
    return fs::path{AIC_TEST_DATA_DIR} / "config";
}
inline fs::path fixture_credentials() {
    return data_dir() / "test-only-credentials";
}

struct fake_env {
    std::map<std::string, std::string> vars;
    load_environment get() const {
        return {[vars = vars](std::string const& name) -> std::optional<std::string> {
            auto it = vars.find(name);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        }};
    }
};

struct warnings {
    std::vector<std::string> seen;
    warning_sink sink() {
        return [this](std::string const& m) { seen.push_back(m); };
    }
};

class temp_dir {
public:
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "aic-config-test-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;

    fs::path const& path() const { return path_; }

    fs::path write(std::string const& name, std::string const& text,
                   fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) const {
        auto const file = path_ / name;
        fs::create_directories(file.parent_path());
        std::ofstream{file, std::ios::binary} << text;
        fs::permissions(file, mode);
        return file;
    }

    // Copies of the fixture credentials with mode 0600.
    void add_credentials() const {
        for (auto const& entry : fs::directory_iterator{fixture_credentials()}) {
            auto const target = path_ / entry.path().filename();
            fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
            fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
        }
    }

private:
    fs::path path_;
};

// Loads `json` (resolving relative files in `dir`) and returns the config_error message.
inline std::string load_error(std::string const& json, fake_env const& env = {}) {
    try {
        (void)load_config_text(json, "test.json", env.get(), [](std::string const&) {});
    } catch (config_error const& e) {
        return e.what();
    }
    FAIL("expected a config_error for: " << json);
    return {};
}

}  // namespace aic::config::test

namespace aic::config::test {

// A valid config with one service account (key file "sa.jwk" under $CREDENTIALS_DIRECTORY),
// plus `extra` top-level members.
inline std::string sa_config(std::string const& extra = "") {
    return R"({"tenant": "https://tenant.example.com",
               "credentials": {"sa": {"type": "service_account", "account_id": "sa-id", "key_file": "sa.jwk"}})" +
           (extra.empty() ? std::string{} : ", " + extra) + "}";
}

// A temp dir with the credentials, and an environment pointing $CREDENTIALS_DIRECTORY at it.
struct credentials_fixture {
    temp_dir dir;
    fake_env env;
    credentials_fixture() {
        dir.add_credentials();
        env.vars["CREDENTIALS_DIRECTORY"] = dir.path().string();
    }
    config load(std::string const& json, warning_sink const& warn = {}) const {
        return load_config_text(json, "test.json", env.get(), warn);
    }
    std::string error(std::string const& json) const { return load_error(json, env); }
};

}  // namespace aic::config::test

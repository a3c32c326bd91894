// Happy paths: files from tests/data/config, defaults, secret resolution, token endpoints.
#include "support.hpp"

#include <sys/stat.h>

using namespace aic::config;
using namespace aic::config::test;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;

namespace {

// full.json names its files relative to its directory, so it loads from a private copy of
// tests/data/config whose credentials are 0600.
struct full_fixture {
    temp_dir dir;
    fs::path file;
    full_fixture() {
        fs::copy(data_dir() / "full.json", dir.path() / "full.json");
        fs::create_directory(dir.path() / "test-only-credentials");
        for (auto const& e : fs::directory_iterator{fixture_credentials()}) {
            auto const target = dir.path() / "test-only-credentials" / e.path().filename();
            fs::copy_file(e.path(), target);
            fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
        }
        file = dir.path() / "full.json";
    }
};

std::string file_text(fs::path const& p) {
    std::ifstream in{p, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
}

}  // namespace

TEST_CASE("full.json: every section is read", "[config][load]") {
    full_fixture f;
    warnings w;
    auto const c = load_config_file(f.file, fake_env{}.get(), w.sink());
    CHECK(w.seen.empty());
    CHECK(c.source == f.file.string());
    CHECK_FALSE(c.builtin_routes);

    REQUIRE(c.listen.size() == 3);
    CHECK(c.listen[0].type == listen_address::kind::tcp);
    CHECK(c.listen[0].host == "127.0.0.1");
    CHECK(c.listen[0].port == 18080);
    CHECK(c.listen[1].host == "::1");
    CHECK(c.listen[1].text == "[::1]:18080");
    CHECK(c.listen[2].type == listen_address::kind::unix_socket);
    CHECK(c.listen[2].path == "/run/aic-proxy/proxy.sock");
    CHECK(c.listen[2].mode == 0600);
    CHECK(c.listen[2].group == "aic");

    CHECK(c.tenant.host == "tenant.example.com");
    CHECK(c.tenant.port == 8443);
    CHECK(c.tls.ca_file == (f.dir.path() / "test-only-credentials/README.md").string());

    REQUIRE(c.credentials.size() == 4);
    auto const& sa = c.credentials.at("sa");
    CHECK(sa.type == credential_type::service_account);
    CHECK(sa.name == "sa");
    CHECK(sa.account_id == "sa-id-1");
    CHECK(sa.key_file == (f.dir.path() / "test-only-credentials/sa.pem").string());
    CHECK(sa.key_material.reveal() == file_text(fixture_credentials() / "sa.pem"));  // kept whole
    CHECK(sa.token_endpoint.text() == "https://tenant.example.com:8443/am/oauth2/access_token");

    auto const& iga = c.credentials.at("iga");
    CHECK(iga.type == credential_type::client_credentials);
    CHECK(iga.client_id == "iga-client");
    CHECK(iga.client_secret.reveal() == "test-only-iga-client-secret");  // newline trimmed
    CHECK(iga.auth_method == client_auth_method::post);
    CHECK(iga.realm == "bravo");
    CHECK(iga.token_endpoint.text() ==
          "https://tenant.example.com:8443/am/oauth2/realms/root/realms/bravo/access_token");

    auto const& logs = c.credentials.at("logs");
    CHECK(logs.type == credential_type::api_key);
    CHECK(logs.key_id == "log-key-id");
    CHECK(logs.api_secret.reveal() == "test-only-log-api-secret");

    CHECK(c.credentials.at("custom").token_endpoint.text() == "https://auth.example.com/oauth2/token");

    REQUIRE(c.routes.size() == 4);
    CHECK(c.routes[0].prefix == "/openidm");                                       // trailing '/' removed
    CHECK(c.routes[0].scopes == std::vector<std::string>{"fr:am:*", "fr:idm:*"});  // sorted, unique
    CHECK(c.routes[0].methods == std::vector<std::string>{"GET", "POST"});         // upper-cased
    CHECK(c.routes[1].headers == std::vector<std::pair<std::string, std::string>>{
                                     {"x-xsrf-header", "PingFederate"}, {"X-Extra", "1"}});
    REQUIRE(c.routes[1].upstream);
    CHECK(c.routes[1].upstream->host == "other.example.com");
    CHECK(c.routes[2].scopes == std::vector<std::string>{"fr:idm:*", "fr:iga:*"});
    CHECK(c.routes[3].scopes.empty());
    CHECK(c.routes[3].methods.empty());

    CHECK(c.timeouts.connect == 1234ms);
    CHECK(c.timeouts.drain == 0ms);
    CHECK(c.timeouts.upstream_idle == 999ms);
    CHECK(c.timeouts.idle == 60000ms);  // default kept
    CHECK(c.limits.max_header_bytes == 8192);
    CHECK(c.limits.max_body_bytes == 1073741824);
    CHECK(c.limits.buffer_bytes == 4096);
    CHECK(c.limits.max_connections == 1024);
    CHECK(c.tokens.refresh_fraction == 0.5);
    CHECK(c.tokens.refresh_min_margin == 30s);
    CHECK(c.tokens.backoff_initial == 500ms);
    CHECK(c.tokens.backoff_max == 5000ms);
    CHECK(c.tokens.assertion_lifetime == 1800s);
    CHECK(c.tokens.forced_refresh_interval == 120s);
    CHECK(c.security.allowed_hosts == std::vector<std::string>{"localhost", "[::1]"});  // lower-cased
    CHECK(c.security.allowed_origins == std::vector<std::string>{"http://localhost:3000"});
    REQUIRE(c.security.required_header);
    CHECK(c.security.required_header->first == "X-AIC-Proxy");
    CHECK(c.security.required_header->second == "1");
    CHECK(c.security.refuse_forwarded);
    CHECK(c.security.read_only);
    CHECK(c.security.client_key.reveal() == "test-only-client-key");
    CHECK(c.logging.level == "debug");
    CHECK(c.logging.fmt == logging_settings::format::json);
    CHECK_FALSE(c.logging.access_log);
    CHECK(c.threads == 4);
}

TEST_CASE("the shipped examples load, with the built-in table for minimal.json", "[config][load]") {
    credentials_fixture f;
    warnings w;
    auto const example =
        load_config_file(fs::path{AIC_SOURCE_DIR} / "config/aic-proxy.example.json", f.env.get(), w.sink());
    CHECK(example.credentials.size() == 3);
    CHECK(example.routes.size() == 8);
    CHECK(w.seen.empty());

    auto const minimal =
        load_config_file(fs::path{AIC_SOURCE_DIR} / "config/minimal.json", f.env.get(), w.sink());
    CHECK(minimal.builtin_routes);
    REQUIRE(minimal.listen.size() == 2);
    CHECK(minimal.listen[0].text == "127.0.0.1:8080");
    CHECK(minimal.listen[1].host == "::1");
    CHECK(minimal.listen[1].port == 8080);
    CHECK(minimal.tls.ca_file.empty());
    CHECK(minimal.threads == 1);
    CHECK(minimal.timeouts.token_wait == 10000ms);
    CHECK(minimal.limits.max_header_bytes == 16 * 1024);
    CHECK(minimal.security.allowed_hosts == std::vector<std::string>{"localhost", "127.0.0.1", "[::1]"});
    CHECK(w.seen.empty());
}

TEST_CASE("relative secret files: $CREDENTIALS_DIRECTORY first, else the config's directory",
          "[config][secrets]") {
    temp_dir config_dir;
    temp_dir creds;
    config_dir.write("app.json", sa_config());
    config_dir.write("sa.jwk", "key-next-to-config");
    creds.write("sa.jwk", "key-in-credentials-directory");

    auto const beside = load_config_file(config_dir.path() / "app.json", fake_env{}.get(), {});
    CHECK(beside.credentials.at("sa").key_material.reveal() == "key-next-to-config");
    CHECK(beside.credentials.at("sa").key_file == (config_dir.path() / "sa.jwk").string());

    fake_env env;
    env.vars["CREDENTIALS_DIRECTORY"] = creds.path().string();
    auto const systemd = load_config_file(config_dir.path() / "app.json", env.get(), {});
    CHECK(systemd.credentials.at("sa").key_material.reveal() == "key-in-credentials-directory");

    // Absolute paths are used as written.
    auto const absolute = load_config_text(R"({"tenant": "https://t.example.com", "credentials": {"sa":
        {"type": "service_account", "account_id": "a", "key_file": ")" +
                                               (config_dir.path() / "sa.jwk").string() + R"("}}})",
                                           "x", env.get(), {});
    CHECK(absolute.credentials.at("sa").key_material.reveal() == "key-next-to-config");
}

TEST_CASE("${ENV} references: a path for *_file keys, the secret itself otherwise", "[config][secrets]") {
    temp_dir dir;
    dir.write("k.pem", "pem-text\n");
    fake_env env;
    env.vars["SA_KEY_PATH"] = (dir.path() / "k.pem").string();
    env.vars["IGA_SECRET"] = "from-env\n";
    env.vars["SA_ID"] = "id-from-env";
    env.vars["TENANT"] = "https://env.example.com";
    auto const c = load_config_text(R"({"tenant": "${TENANT}", "credentials": {
        "sa": {"type": "service_account", "account_id": "${SA_ID}", "key_file": "${SA_KEY_PATH}"},
        "iga": {"type": "client_credentials", "client_id": "c", "client_secret": "${IGA_SECRET}"}}})",
                                    "x", env.get(), {});
    CHECK(c.tenant.host == "env.example.com");
    CHECK(c.credentials.at("sa").account_id == "id-from-env");
    CHECK(c.credentials.at("sa").key_material.reveal() == "pem-text\n");  // key text kept whole
    CHECK(c.credentials.at("iga").client_secret.reveal() == "from-env");
    CHECK(c.credentials.at("iga").client_secret_file.empty());
}

TEST_CASE("a secret file readable by group or others loads with a warning", "[config][secrets]") {
    temp_dir dir;
    auto const key = dir.write(
        "sa.jwk", "group-readable-key-text",
        fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    fake_env env;
    env.vars["CREDENTIALS_DIRECTORY"] = dir.path().string();
    warnings w;
    auto const c = load_config_text(sa_config(), "x", env.get(), w.sink());
    CHECK(c.credentials.at("sa").key_material.reveal() == "group-readable-key-text");
    REQUIRE(w.seen.size() == 1);
    CHECK_THAT(w.seen[0], Contains("credentials.sa.key_file: " + key.string() +
                                   " is readable by group or others (mode 0644)"));
    CHECK_THAT(w.seen[0], !Contains("group-readable-key-text"));
}

TEST_CASE("token endpoints: flow defaults, realms, overrides", "[config][load]") {
    credentials_fixture f;
    auto const c = f.load(R"({"tenant": "https://t.example.com", "credentials": {
        "root": {"type": "client_credentials", "client_id": "c", "client_secret_file": "iga.secret", "realm": "root"},
        "alpha": {"type": "client_credentials", "client_id": "c", "client_secret_file": "iga.secret"},
        "sa": {"type": "service_account", "account_id": "a", "key_file": "sa.jwk",
               "token_endpoint": "https://sim.example.com:9443/am/oauth2/access_token"}}})");
    CHECK(c.credentials.at("root").token_endpoint.text() ==
          "https://t.example.com/am/oauth2/realms/root/access_token");
    CHECK(c.credentials.at("alpha").token_endpoint.text() ==
          "https://t.example.com/am/oauth2/realms/root/realms/alpha/access_token");
    CHECK(c.credentials.at("alpha").auth_method == client_auth_method::basic);
    CHECK(c.credentials.at("sa").token_endpoint.with_explicit_port() ==
          "https://sim.example.com:9443/am/oauth2/access_token");
}

// Environment-only mode (AIC_*) and the built-in AIC route table.
#include "support.hpp"

#include <algorithm>

using namespace aic::config;
using namespace aic::config::test;
using Catch::Matchers::Contains;

namespace {

route const* find_route(config const& c, std::string_view prefix) {
    auto it =
        std::find_if(c.routes.begin(), c.routes.end(), [&](route const& r) { return r.prefix == prefix; });
    return it == c.routes.end() ? nullptr : &*it;
}

std::string env_error(fake_env const& env) {
    try {
        (void)load_config_from_env(env.get(), {});
    } catch (config_error const& e) {
        return e.what();
    }
    FAIL("expected a config_error");
    return {};
}

}  // namespace

TEST_CASE("environment mode: tenant, service account, client credentials, listen", "[config][env]") {
    credentials_fixture f;  // relative file names resolve in $CREDENTIALS_DIRECTORY
    f.env.vars["AIC_TENANT"] = "https://env.example.com";
    f.env.vars["AIC_SA_ID"] = "sa-from-env";
    f.env.vars["AIC_SA_KEY_FILE"] = "sa.jwk";
    f.env.vars["AIC_CLIENT_ID"] = "client-from-env";
    f.env.vars["AIC_CLIENT_SECRET_FILE"] = (f.dir.path() / "iga.secret").string();
    f.env.vars["AIC_LISTEN"] = "127.0.0.1:9000, unix:/run/aic.sock";
    auto const c = load_config_from_env(f.env.get(), {});
    CHECK(c.source == "environment");
    CHECK(c.tenant.host == "env.example.com");
    REQUIRE(c.listen.size() == 2);
    CHECK(c.listen[0].port == 9000);
    CHECK(c.listen[1].path == "/run/aic.sock");
    CHECK(c.credentials.at("sa").account_id == "sa-from-env");
    CHECK_FALSE(c.credentials.at("sa").key_material.empty());
    CHECK(c.credentials.at("iga").client_id == "client-from-env");
    CHECK(c.credentials.at("iga").client_secret.reveal() == "test-only-iga-client-secret");
    CHECK(c.builtin_routes);
    REQUIRE(find_route(c, "/openidm"));
    CHECK(find_route(c, "/openidm")->credential == "sa");
    REQUIRE(find_route(c, "/iga"));
    CHECK(find_route(c, "/iga")->credential == "iga");
}

TEST_CASE("environment mode: defaults and one credential is enough", "[config][env]") {
    credentials_fixture f;
    f.env.vars["AIC_TENANT"] = "https://env.example.com";
    f.env.vars["AIC_CLIENT_ID"] = "c";
    f.env.vars["AIC_CLIENT_SECRET_FILE"] = "iga.secret";
    auto const c = load_config_from_env(f.env.get(), {});
    CHECK(c.listen.size() == 2);
    CHECK(c.credentials.size() == 1);
    CHECK(find_route(c, "/openidm") == nullptr);
    CHECK(find_route(c, "/auto/orchestration") != nullptr);
}

TEST_CASE("environment mode: errors name the variable", "[config][env][errors]") {
    credentials_fixture f;
    CHECK_THAT(env_error(f.env), Contains("config: AIC_TENANT: not set"));
    f.env.vars["AIC_TENANT"] = "http://plain.example.com";
    f.env.vars["AIC_SA_ID"] = "a";
    CHECK_THAT(env_error(f.env), Contains("config: AIC_SA_KEY_FILE: required when AIC_SA_ID is set"));
    f.env.vars["AIC_SA_KEY_FILE"] = "missing.jwk";
    CHECK_THAT(env_error(f.env), Contains("config: AIC_TENANT: must be an https:// URL"));
    f.env.vars["AIC_TENANT"] = "https://env.example.com";
    CHECK_THAT(env_error(f.env),
               Contains("config: AIC_SA_KEY_FILE: cannot read " + (f.dir.path() / "missing.jwk").string() +
                        ": No such file or directory"));
    f.env.vars["AIC_SA_KEY_FILE"] = "sa.jwk";
    f.env.vars["AIC_LISTEN"] = "127.0.0.1:8080,localhost";
    CHECK_THAT(env_error(f.env), Contains("config: AIC_LISTEN: \"localhost\": expected"));
    f.env.vars.erase("AIC_LISTEN");
    f.env.vars.erase("AIC_SA_ID");
    f.env.vars.erase("AIC_SA_KEY_FILE");
    CHECK_THAT(env_error(f.env),
               Contains("config: AIC_SA_ID: set AIC_SA_ID and AIC_SA_KEY_FILE, or AIC_CLIENT_ID"));
}

TEST_CASE("built-in routes follow the AIC table for the credential types present", "[config][routes]") {
    credentials_fixture f;
    auto const c = f.load(R"({"tenant": "https://t.example.com", "credentials": {
        "z-sa": {"type": "service_account", "account_id": "z", "key_file": "sa.jwk"},
        "a-sa": {"type": "service_account", "account_id": "a", "key_file": "sa.jwk"},
        "iga": {"type": "client_credentials", "client_id": "c", "client_secret_file": "iga.secret"},
        "logs": {"type": "api_key", "key_id": "k", "secret_file": "logs.secret"}}})");
    CHECK(c.builtin_routes);
    auto const* am = find_route(c, "/am");
    REQUIRE(am);
    CHECK(am->credential == "a-sa");  // the first service account by name
    CHECK(am->scopes == std::vector<std::string>{"fr:am:*"});
    CHECK(find_route(c, "/openidm")->scopes == std::vector<std::string>{"fr:idm:*"});
    CHECK(find_route(c, "/environment/secrets")->scopes == std::vector<std::string>{"fr:idc:esv:*"});
    CHECK(find_route(c, "/environment/variables")->scopes == std::vector<std::string>{"fr:idc:esv:*"});
    CHECK(find_route(c, "/environment/startup")->scopes == std::vector<std::string>{"fr:idc:esv:*"});
    CHECK(find_route(c, "/environment/certificates")->scopes ==
          std::vector<std::string>{"fr:idc:certificate:*"});
    CHECK(find_route(c, "/environment/custom-domains")->scopes ==
          std::vector<std::string>{"fr:idc:custom-domain:*"});
    CHECK(find_route(c, "/environment/promotion")->scopes == std::vector<std::string>{"fr:idc:promotion:*"});
    auto const* ws = find_route(c, "/ws/admin");
    REQUIRE(ws);
    CHECK(ws->scopes == std::vector<std::string>{"fr:idc:ws:admin"});
    CHECK(ws->headers == std::vector<std::pair<std::string, std::string>>{{"x-xsrf-header", "PingFederate"}});
    auto const* iga = find_route(c, "/iga");
    REQUIRE(iga);
    CHECK(iga->credential == "iga");
    CHECK(iga->scopes == std::vector<std::string>{"fr:idm:*", "fr:iga:*"});
    CHECK(find_route(c, "/auto/orchestration")->credential == "iga");
    auto const* mon = find_route(c, "/monitoring");
    REQUIRE(mon);
    CHECK(mon->credential == "logs");
    CHECK(mon->scopes.empty());
    for (auto const& r : c.routes) {
        CHECK(r.methods.empty());
        CHECK_FALSE(r.upstream);
    }
}

TEST_CASE("built-in routes: only the api key", "[config][routes]") {
    credential logs;
    logs.name = "logs";
    logs.type = credential_type::api_key;
    auto const routes = builtin_routes({{"logs", logs}});
    REQUIRE(routes.size() == 1);
    CHECK(routes[0].prefix == "/monitoring");
}

// `aic-proxy token`: one token on stdout and nothing else, usable as-is against the tenant;
// failures on stderr with the endpoint's error_description and exit 1.
#include "proxy_process.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>

namespace json = boost::json;
using namespace aic::test;

namespace {

std::filesystem::path write_config(sim_process& sim, json::object const& config, std::string const& name) {
    auto const path = sim.dir() / name;
    std::ofstream{path, std::ios::trunc} << json::serialize(config);
    return path;
}

struct run_result {
    int exit_code;
    std::string out, err;
};

run_result run_token(std::vector<std::string> args) {
    args.insert(args.begin(), "token");
    child_process p{AIC_PROXY_BIN, std::move(args)};
    int const code = p.wait();
    return {code, p.stdout_text(), p.stderr_text()};
}

}  // namespace

TEST_CASE("token --route prints exactly one token the tenant accepts for that route's scopes") {
    sim_process sim;
    auto const config = write_config(sim, demo_config(sim), "token.json");

    auto const r = run_token({"--config", config.string(), "--route", "/openidm"});
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out.size() > 1);
    CHECK(r.out.back() == '\n');
    auto const token = r.out.substr(0, r.out.size() - 1);
    CHECK(token.find_first_of(" \n\t") == std::string::npos);  // stdout is the token, alone
    CHECK(r.err.find(token) == std::string::npos);

    http_client tenant{"127.0.0.1", sim.port(), sim.tls()};
    auto const res =
        tenant.request("GET", "/openidm/managed/alpha_user", {{"Authorization", "Bearer " + token}});
    REQUIRE(res.status == 200);
    CHECK(json::parse(res.body).at("scopes").as_array() == json::array{"fr:idm:*"});
    // The /openidm token does not open /am: scopes are per route.
    CHECK(tenant.request("GET", "/am/json/x", {{"Authorization", "Bearer " + token}}).status == 403);
}

TEST_CASE("token --credential --scope asks for exactly those scopes") {
    sim_process sim;
    auto const config = write_config(sim, demo_config(sim), "token.json");
    auto const r = run_token(
        {"--config", config.string(), "--credential", "iga", "--scope", "fr:iga:*", "--scope", "fr:idm:*"});
    REQUIRE(r.exit_code == 0);
    auto const token = r.out.substr(0, r.out.find('\n'));
    http_client tenant{"127.0.0.1", sim.port(), sim.tls()};
    CHECK(tenant.request("GET", "/iga/governance/user", {{"Authorization", "Bearer " + token}}).status ==
          200);
}

TEST_CASE("token failures go to stderr with the endpoint's error_description, exit 1, stdout empty") {
    sim_process sim;
    auto config = demo_config(sim);
    // A scope the demo service account does not have: AM answers invalid_scope.
    config["routes"] = json::array{json::object{{"prefix", "/openidm"},
                                                {"credential", "sa"},
                                                {"scopes", json::array{"fr:idm:*", "fr:not-granted:*"}}}};
    auto const path = write_config(sim, config, "bad-scope.json");
    auto const r = run_token({"--config", path.string(), "--route", "/openidm"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("invalid_scope") != std::string::npos);
    CHECK(r.err.find("fr:not-granted:*") != std::string::npos);
    CHECK(r.err.find("credential sa") != std::string::npos);

    auto const unknown = run_token({"--config", path.string(), "--route", "/nowhere"});
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.out.empty());
    CHECK(unknown.err.find("no route with prefix /nowhere") != std::string::npos);
}

// Command-line parsing and the choice of configuration source.
#include "app/cli.hpp"
#include "support.hpp"

using namespace aic::app;
using namespace aic::config::test;
using Catch::Matchers::Contains;

namespace {

cli_options parse(std::vector<char const*> args) {
    return parse_cli(args);
}

std::string usage_error_of(std::vector<char const*> args) {
    try {
        (void)parse_cli(args);
    } catch (usage_error const& e) {
        return e.what();
    }
    FAIL("expected a usage_error");
    return {};
}

}  // namespace

TEST_CASE("run is the default command", "[cli]") {
    auto const o = parse({"--config", "/x/y.json"});
    CHECK(o.cmd == cli_options::command::run);
    REQUIRE(o.config_file);
    CHECK(*o.config_file == "/x/y.json");
    CHECK_FALSE(parse({}).config_file);
    CHECK(parse({"run", "-c", "a.json"}).config_file == std::filesystem::path{"a.json"});
}

TEST_CASE("check, version and help", "[cli]") {
    auto const o = parse({"check", "--config=/etc/a.json"});
    CHECK(o.cmd == cli_options::command::check);
    CHECK(*o.config_file == "/etc/a.json");
    CHECK(parse({"--version"}).cmd == cli_options::command::version);
    CHECK(parse({"check", "--help"}).cmd == cli_options::command::help);
    CHECK_THAT(usage_text(), Contains("exit codes"));
    CHECK_FALSE(version().empty());
}

TEST_CASE("token takes a route, or a credential with scopes", "[cli]") {
    auto const by_route = parse({"token", "--config", "c.json", "--route", "/openidm"});
    CHECK(by_route.cmd == cli_options::command::token);
    CHECK(by_route.route == "/openidm");
    auto const by_cred = parse({"token", "--credential", "sa", "--scope", "fr:am:*", "--scope=fr:idm:*"});
    CHECK(by_cred.credential == "sa");
    CHECK(by_cred.scopes == std::vector<std::string>{"fr:am:*", "fr:idm:*"});
}

TEST_CASE("usage errors", "[cli]") {
    CHECK_THAT(usage_error_of({"--bogus"}), Contains("unknown option --bogus"));
    CHECK_THAT(usage_error_of({"start"}), Contains("unknown command start"));
    CHECK_THAT(usage_error_of({"check", "extra"}), Contains("unexpected argument extra"));
    CHECK_THAT(usage_error_of({"--config"}), Contains("--config needs a value"));
    CHECK_THAT(usage_error_of({"--config", "a", "--config", "b"}), Contains("--config given twice"));
    CHECK_THAT(usage_error_of({"token"}), Contains("give --route PREFIX"));
    CHECK_THAT(usage_error_of({"token", "--credential", "sa"}), Contains("needs at least one --scope"));
    CHECK_THAT(usage_error_of({"token", "--route", "/a", "--scope", "s"}), Contains("not both"));
    CHECK_THAT(usage_error_of({"token", "--route", "openidm"}), Contains("path prefix"));
    CHECK_THAT(usage_error_of({"check", "--route", "/a"}), Contains("belong to the token command"));
}

TEST_CASE("config source: --config, the default file, then AIC_TENANT", "[cli][config]") {
    credentials_fixture f;
    auto const file = f.dir.write("c.json", sa_config());
    auto const missing_default = f.dir.path() / "absent.json";

    cli_options explicit_file;
    explicit_file.config_file = file;
    CHECK(load_configuration(explicit_file, f.env.get(), {}, missing_default).source == file.string());

    cli_options none;
    CHECK(load_configuration(none, f.env.get(), {}, file).source == file.string());  // the default exists

    CHECK_THROWS_WITH(load_configuration(none, f.env.get(), {}, missing_default),
                      Contains("does not exist, no --config FILE was given and AIC_TENANT is not set"));

    f.env.vars["AIC_TENANT"] = "https://env.example.com";
    f.env.vars["AIC_SA_ID"] = "a";
    f.env.vars["AIC_SA_KEY_FILE"] = "sa.jwk";
    CHECK(load_configuration(none, f.env.get(), {}, missing_default).source == "environment");
}

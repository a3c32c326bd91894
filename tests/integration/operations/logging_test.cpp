// No secret reaches the log: the proxy runs at level "debug" in text and in JSON format, serves
// requests on both token flows (with client Authorization/Cookie headers), replays a request after
// a 401 and refreshes a token on schedule; then every captured line is searched for each token the
// tenant saw, the client secret, the service account key's private parts, the client's own
// credentials and any JWT ("eyJ").
#include "ops_fixtures.hpp"

#include <set>
#include <sstream>
#include <vector>

using namespace aic::test;
using namespace aic::test::ops;

namespace {

std::vector<std::string> lines_of(std::string const& text) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

}  // namespace

TEST_CASE("logs at debug level, text and JSON, never contain a token, secret, key or JWT") {
    auto const format = GENERATE(std::string{"text"}, std::string{"json"});
    INFO("format " << format);
    sim_process sim;
    auto config = demo_config(sim);
    config["logging"] = json::object{{"level", "debug"}, {"format", format}, {"access_log", true}};
    proxy_process proxy{sim.dir(), config};
    auto& log = proxy.process();
    auto client = proxy.client();

    std::set<std::string> tokens;
    header_list const client_secrets{{"Authorization", "Bearer client-own-bearer-value-4711"},
                                     {"Cookie", "iPlanetDirectoryPro=client-cookie-value-0815"}};
    auto const fetch = [&](std::string const& target) {
        auto const res = client->request("GET", target, client_secrets);
        REQUIRE(res.status == 200);
        tokens.insert(bearer_seen(res));
    };

    // Both token flows: service account (JWT bearer assertion) and client credentials (secret).
    fetch("/openidm/managed/alpha_user?_queryFilter=true");
    fetch("/am/json/realms/root/realms/alpha/users?_queryFilter=true");
    fetch("/iga/governance/user");
    REQUIRE(client->request("GET", "/monitoring/logs/sources").status == 200);  // api key

    // 401 replay: the tenant forgets every token; the next request is replayed with a new one.
    // Tokens issued from now on live 5 s, and the replay's fetch says so in its log line.
    sim.set_expires_in(5);
    sim.revoke_all_tokens();
    fetch("/openidm/managed/alpha_user?_queryFilter=true");
    REQUIRE(log.wait_for_line("was refused by the tenant", log_wait));
    REQUIRE(log.wait_for_line("token for sa [fr:idm:*] obtained; valid 5 s", log_wait));

    // A scheduled refresh: the next token lives 7 s, so its "valid 7 s" line can only come from a
    // refresh the proxy started on its own.
    sim.set_expires_in(7);
    REQUIRE(log.wait_for_line("token for sa [fr:idm:*] obtained; valid 7 s", log_wait));
    fetch("/openidm/managed/alpha_user?_queryFilter=true");
    CHECK(tokens.size() >= 5);  // openidm, am, iga, the replay's, the refreshed one

    // A failing token endpoint logs its error, and that line must be clean too.
    sim.set_token_fault("garbage_json");
    sim.revoke_all_tokens();
    CHECK(client->request("GET", "/am/json/realms/root/realms/alpha/users").status == 503);

    proxy.reload();
    REQUIRE(log.wait_for_line("reload: configuration and credentials reloaded", log_wait));
    proxy.process().terminate();
    REQUIRE(proxy.process().wait_for(std::chrono::seconds{60}) == std::optional<int>{0});

    std::vector<std::string> forbidden(tokens.begin(), tokens.end());
    forbidden.push_back(trimmed(read_text(sim.dir() / "iga.secret")));
    forbidden.push_back(trimmed(read_text(sim.dir() / "logs.secret")));
    auto const jwk = json::parse(read_text(sim.dir() / "sa.jwk")).as_object();
    for (auto const* part : {"d", "p", "q", "dp", "dq", "qi"})
        forbidden.push_back(std::string{jwk.at(part).as_string()});
    forbidden.push_back("client-own-bearer-value-4711");
    forbidden.push_back("client-cookie-value-0815");
    forbidden.push_back("eyJ");
    for (auto const& f : forbidden) REQUIRE(f.size() >= 3);

    auto const out = proxy.process().stdout_text();
    auto const err = proxy.process().stderr_text();
    auto const lines = lines_of(err);
    // The log is not empty: start-up, one access line per request, token and reload lines.
    REQUIRE(lines.size() >= 12);
    std::size_t access_lines = 0;
    for (auto const& line : lines) {
        INFO("line: " << line);
        for (auto const& f : forbidden) CHECK(line.find(f) == std::string::npos);
        CHECK(line.find("_queryFilter") == std::string::npos);  // access lines log the path without query
        if (format == "json") {
            boost::system::error_code ec;
            auto const doc = json::parse(line, ec);
            REQUIRE_FALSE(ec);
            REQUIRE(doc.is_object());
            CHECK(doc.as_object().contains("time"));
            CHECK(doc.as_object().contains("level"));
            auto const& o = doc.as_object();
            if (o.at("logger").as_string() == "access") {
                ++access_lines;
                for (auto const* key : {"request_id", "method", "path", "status", "route", "in", "out",
                                        "dur_ms", "upstream_ms"})
                    CHECK(o.contains(key));
                CHECK(std::string{o.at("path").as_string()}.find('?') == std::string::npos);
            }
        } else if (line.find(" access: ") != std::string::npos) {
            ++access_lines;
        }
    }
    CHECK(access_lines >= 7);
    for (auto const& f : forbidden) CHECK(out.find(f) == std::string::npos);
}

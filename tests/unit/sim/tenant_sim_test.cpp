// The simulator verifies what AM verifies: these tests pin the checks the proxy's own tests rely on.
#include "tenant_sim.hpp"
#include "crypto.hpp"
#include "http_client.hpp"
#include "sim_process.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace {

namespace json = boost::json;
using aic::test::header_list;
using aic::test::http_client;

std::string const pki = AIC_TEST_PKI_DIR;
std::string const tricky_secret = "s3cr:t/+%&=\xc3\xa9";  // s3cr:t/+%&=é
std::string const sa_id = "0b6e2c39-3b7e-4a9b-9d63-2f1c5a7e1d10";

// application/x-www-form-urlencoded, as RFC 6749 Appendix B asks for client credentials.
std::string form_encode(std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        auto const b = static_cast<unsigned char>(c);
        if (std::isalnum(b) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += digits[b >> 4];
            out += digits[b & 15];
        }
    }
    return out;
}

std::string const& sa_private_jwk() {
    static std::string const jwk = aic::sim::generate_rsa_key_jwk(2048);
    return jwk;
}

aic::sim::options test_options() {
    aic::sim::options o;
    o.cert_file = pki + "/localhost.pem";
    o.key_file = pki + "/localhost.key";
    o.clients.push_back({"iga", tricky_secret, "alpha", {"fr:idm:*", "fr:iga:*"}});
    o.service_accounts.push_back(
        {sa_id, aic::sim::public_jwk_of(sa_private_jwk()), {"fr:am:*", "fr:idm:*", "fr:idc:esv:*"}});
    o.api_keys.push_back({"logs", "logs-secret"});
    return o;
}

struct fixture {
    aic::sim::tenant_sim sim{test_options()};
    fixture() { sim.start(); }
    std::unique_ptr<http_client> client(std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
        return std::make_unique<http_client>("127.0.0.1", sim.port(),
                                             aic::test::tls_settings{pki + "/ca.pem", "localhost"}, timeout);
    }
};

json::object parse(std::string const& body) {
    return json::parse(body).as_object();
}

std::string slurp(std::filesystem::path const& p) {
    std::ifstream in{p};
    return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

std::string const cc_path = "/am/oauth2/realms/root/realms/alpha/access_token";
header_list const form_header{{"Content-Type", "application/x-www-form-urlencoded"}};

header_list basic(std::string const& id, std::string const& secret, bool encode) {
    std::string const pair = encode ? form_encode(id) + ":" + form_encode(secret) : id + ":" + secret;
    return {{"Content-Type", "application/x-www-form-urlencoded"},
            {"Authorization", "Basic " + aic::sim::b64_encode(pair)}};
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string sign_assertion(json::object claims, std::string const& private_jwk = sa_private_jwk()) {
    auto const key = aic::sim::pkey_from_jwk(private_jwk);
    REQUIRE(key);
    std::string const input = aic::sim::b64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." +
                              aic::sim::b64url_encode(json::serialize(claims));
    return input + "." + aic::sim::b64url_encode(aic::sim::sign_rs256(key.get(), input));
}

json::object good_claims(std::uint16_t port) {
    return {{"iss", sa_id},
            {"sub", sa_id},
            {"aud", "https://localhost:" + std::to_string(port) + "/am/oauth2/access_token"},
            {"exp", now_s() + 180},
            {"jti", aic::sim::random_uuid()}};
}

std::string jwt_form(std::string const& assertion, std::string const& scope) {
    return "client_id=service-account&grant_type=" +
           form_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + assertion +
           "&scope=" + form_encode(scope);
}

std::string pattern_sha256(std::uint64_t n) {
    aic::sim::sha256 hash;
    for (std::uint64_t i = 0; i < n; ++i) {
        char const b = static_cast<char>((i * 31 + 7) & 0xff);
        hash.update(&b, 1);
    }
    return hash.hex_digest();
}

}  // namespace

TEST_CASE_METHOD(fixture, "client_secret_basic accepts the RFC 6749 encoding and refuses the raw secret") {
    auto c = client();
    auto const ok = c->request("POST", cc_path, basic("iga", tricky_secret, true),
                               "grant_type=client_credentials&scope=" + form_encode("fr:idm:* fr:iga:*"));
    REQUIRE(ok.status == 200);
    auto const body = parse(ok.body);
    CHECK(body.at("token_type").as_string() == "Bearer");
    CHECK(body.at("expires_in").as_int64() == 3600);
    CHECK(body.at("scope").as_string() == "fr:iga:* fr:idm:*");  // another order than asked
    CHECK(body.at("access_token").as_string().size() >= 43);

    auto const raw =
        c->request("POST", cc_path, basic("iga", tricky_secret, false), "grant_type=client_credentials");
    CHECK(raw.status == 401);
    CHECK(parse(raw.body).at("error").as_string() == "invalid_client");
    CHECK(raw.body.find(tricky_secret) == std::string::npos);

    auto const wrong_realm = c->request("POST", "/am/oauth2/realms/root/realms/bravo/access_token",
                                        basic("iga", tricky_secret, true), "grant_type=client_credentials");
    CHECK(wrong_realm.status == 401);
    // The raw secret's "%&" is not valid form encoding, so that request names no client to count.
    CHECK(sim.token_requests_by_credential().at("iga") == 2);
    CHECK(sim.stats().tokens_issued == 1);
}

TEST_CASE_METHOD(fixture, "client_secret_post is accepted") {
    auto const res = client()->request(
        "POST", cc_path, form_header,
        "grant_type=client_credentials&client_id=iga&client_secret=" + form_encode(tricky_secret));
    REQUIRE(res.status == 200);
    CHECK(parse(res.body).at("scope").as_string() == "fr:iga:* fr:idm:*");
}

TEST_CASE_METHOD(fixture, "an unsupported scope fails the whole request and is named") {
    auto const res =
        client()->request("POST", cc_path, basic("iga", tricky_secret, true),
                          "grant_type=client_credentials&scope=" + form_encode("fr:idm:* fr:am:* fr:x"));
    REQUIRE(res.status == 400);
    auto const body = parse(res.body);
    CHECK(body.at("error").as_string() == "invalid_scope");
    CHECK(body.at("error_description").as_string() == "Unsupported scope for client: fr:am:*,fr:x");
    CHECK(sim.stats().token_errors == 1);
}

TEST_CASE_METHOD(fixture, "the JWT bearer grant checks signature, aud, exp and jti") {
    auto c = client();
    auto const assertion = sign_assertion(good_claims(sim.port()));
    auto const ok =
        c->request("POST", "/am/oauth2/access_token", form_header, jwt_form(assertion, "fr:idm:* fr:am:*"));
    REQUIRE(ok.status == 200);
    CHECK(parse(ok.body).at("expires_in").as_int64() == 899);
    CHECK(parse(ok.body).at("scope").as_string() == "fr:am:* fr:idm:*");

    auto const refused = [&](json::object claims, std::string const& expected_description,
                             std::string const& key = sa_private_jwk()) {
        auto const res = c->request("POST", "/am/oauth2/access_token", form_header,
                                    jwt_form(sign_assertion(std::move(claims), key), "fr:idm:*"));
        CHECK(res.status == 400);
        CHECK(parse(res.body).at("error").as_string() == "invalid_grant");
        CHECK(std::string{parse(res.body).at("error_description").as_string()}.find(expected_description) !=
              std::string::npos);
    };
    SECTION("replayed jti") {
        auto const again =
            c->request("POST", "/am/oauth2/access_token", form_header, jwt_form(assertion, "fr:idm:*"));
        CHECK(again.status == 400);
        CHECK(parse(again.body).at("error_description").as_string() == "jti has been used before");
    }
    SECTION("aud without the explicit port") {
        auto claims = good_claims(sim.port());
        claims["aud"] = "https://localhost/am/oauth2/access_token";
        refused(claims, "aud");
    }
    SECTION("aud as an array containing the endpoint is fine") {
        auto claims = good_claims(sim.port());
        claims["aud"] = json::array{"other", claims["aud"]};
        auto const res = c->request("POST", "/am/oauth2/access_token", form_header,
                                    jwt_form(sign_assertion(claims), "fr:idm:*"));
        CHECK(res.status == 200);
    }
    SECTION("exp exactly 30 minutes ahead is accepted, well beyond is refused") {
        auto claims = good_claims(sim.port());
        claims["exp"] = now_s() + 1800;
        auto const res = c->request("POST", "/am/oauth2/access_token", form_header,
                                    jwt_form(sign_assertion(claims), "fr:idm:*"));
        CHECK(res.status == 200);
        claims["exp"] = now_s() + 1900;
        claims["jti"] = aic::sim::random_uuid();
        refused(claims, "30 minutes");
    }
    SECTION("expired") {
        auto claims = good_claims(sim.port());
        claims["exp"] = now_s() - 1;
        refused(claims, "expired");
    }
    SECTION("another key") {
        refused(good_claims(sim.port()), "signature", aic::sim::generate_rsa_key_jwk(2048));
    }
    SECTION("key rotation") {
        auto const next = aic::sim::generate_rsa_key_jwk(2048);
        sim.set_service_account_key(sa_id, aic::sim::public_jwk_of(next));
        refused(good_claims(sim.port()), "signature");
        auto const res = c->request("POST", "/am/oauth2/access_token", form_header,
                                    jwt_form(sign_assertion(good_claims(sim.port()), next), "fr:idm:*"));
        CHECK(res.status == 200);
    }
    SECTION("scope the account lacks") {
        auto const res =
            c->request("POST", "/am/oauth2/access_token", form_header,
                       jwt_form(sign_assertion(good_claims(sim.port())), "fr:idm:* fr:iga:* fr:y"));
        CHECK(res.status == 400);
        CHECK(parse(res.body).at("error_description").as_string() ==
              "Unsupported scope for service account: fr:iga:*,fr:y");
    }
    SECTION("client_id must be the literal service-account") {
        auto form = jwt_form(sign_assertion(good_claims(sim.port())), "fr:idm:*");
        form.replace(0, std::string{"client_id=service-account"}.size(), "client_id=" + sa_id);
        auto const res = c->request("POST", "/am/oauth2/access_token", form_header, form);
        CHECK(res.status == 400);
        CHECK(parse(res.body).at("error").as_string() == "invalid_client");
    }
}

TEST_CASE_METHOD(fixture, "resource APIs check the bearer token and its scope") {
    auto c = client();
    auto const none = c->request("GET", "/openidm/managed/alpha_user?_queryFilter=true");
    CHECK(none.status == 401);
    CHECK(parse(none.body).at("error").as_string() == "invalid_token");
    CHECK(sim.stats().resource_requests == 1);  // counted although refused

    auto const iga_token = sim.issue_token("iga", {"fr:idm:*", "fr:iga:*"}, 3600);
    auto const am = c->request("GET", "/am/json/x", {{"Authorization", "Bearer " + iga_token}});
    CHECK(am.status == 403);
    CHECK(parse(am.body).at("error").as_string() == "insufficient_scope");

    auto const ok =
        c->request("PUT", "/openidm/managed/alpha_user/1?a=%2F%20b&c",
                   {{"Authorization", "Bearer " + iga_token}, {"X-Dup", "1"}, {"x-dup", "2"}}, "hello");
    REQUIRE(ok.status == 200);
    auto const echo = parse(ok.body);
    CHECK(echo.at("method").as_string() == "PUT");
    CHECK(echo.at("target").as_string() == "/openidm/managed/alpha_user/1?a=%2F%20b&c");
    CHECK(echo.at("headers").as_object().at("x-dup").as_string() == "1, 2");
    CHECK(echo.at("body_bytes").as_int64() == 5);
    CHECK(echo.at("body_sha256").as_string() ==
          "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    CHECK(echo.at("credential").as_string() == "iga");
    auto const lines = sim.last_request_headers();
    CHECK(std::find(lines.begin(), lines.end(), "X-Dup: 1") != lines.end());

    sim.revoke_all_tokens();
    CHECK(c->request("GET", "/openidm/x", {{"Authorization", "Bearer " + iga_token}}).status == 401);
    auto const expired = sim.issue_token("iga", {"fr:idm:*"}, 0);
    CHECK(c->request("GET", "/openidm/x", {{"Authorization", "Bearer " + expired}}).status == 401);
    CHECK(c->request("GET", "/monitoring/logs/tail", {{"X-API-Key", "logs"}, {"X-API-Secret", "logs-secret"}})
              .status == 200);
    CHECK(c->request("GET", "/monitoring/logs/tail", {{"X-API-Key", "logs"}, {"X-API-Secret", "nope"}})
              .status == 401);
    CHECK(sim.stats().tls_connections == 1);  // one keep-alive connection for all of it
}

TEST_CASE_METHOD(fixture, "the bytes endpoint streams the documented pattern") {
    auto const token = sim.issue_token("sa", {"fr:idm:*"});
    auto c = client();
    std::uint64_t const n = 300000;  // not a multiple of the 64 KiB pieces
    for (bool chunked : {false, true}) {
        auto const res =
            c->request("GET", "/openidm/_sim/bytes?n=" + std::to_string(n) + (chunked ? "&chunked=1" : ""),
                       {{"Authorization", "Bearer " + token}});
        REQUIRE(res.status == 200);
        CHECK(res.body.size() == n);
        CHECK((res.header("transfer-encoding") == "chunked") == chunked);
        aic::sim::sha256 hash;
        hash.update(res.body.data(), res.body.size());
        CHECK(hash.hex_digest() == pattern_sha256(n));
    }
    auto const drip =
        c->request("GET", "/openidm/_sim/drip?chunks=2", {{"Authorization", "Bearer " + token}});
    CHECK(drip.body == "chunk 1\nchunk 2\n");
}

TEST_CASE_METHOD(fixture, "the control API reports counters and sets faults") {
    auto c = client();
    c->request("POST", cc_path, basic("iga", tricky_secret, true), "grant_type=client_credentials");
    auto const stats = parse(c->request("GET", "/_sim/stats").body);
    CHECK(stats.at("token_requests").to_number<std::uint64_t>() == 1);
    CHECK(stats.at("tokens_issued").to_number<std::uint64_t>() == 1);
    CHECK(stats.at("tls_connections").to_number<std::uint64_t>() == 1);

    CHECK(c->request("POST", "/_sim/fault?token=http_500").status == 200);
    CHECK(c->request("POST", cc_path, basic("iga", tricky_secret, true), "grant_type=client_credentials")
              .status == 500);
    CHECK(c->request("POST", "/_sim/fault?token=garbage_json").status == 200);
    auto const garbage =
        c->request("POST", cc_path, basic("iga", tricky_secret, true), "grant_type=client_credentials");
    CHECK(garbage.status == 200);
    CHECK(garbage.body == "{\"access_tok");
    CHECK(c->request("POST", "/_sim/fault?token=refuse_all").status == 200);
    CHECK(c->request("POST", cc_path, basic("iga", tricky_secret, true), "grant_type=client_credentials")
              .status == 400);
    CHECK(c->request("POST", "/_sim/fault?token=none").status == 200);
    CHECK(c->request("POST", "/_sim/expires_in?s=42").status == 200);
    auto const ok =
        c->request("POST", cc_path, basic("iga", tricky_secret, true), "grant_type=client_credentials");
    CHECK(parse(ok.body).at("expires_in").as_int64() == 42);

    auto const token = sim.issue_token("sa", {"fr:idm:*"});
    CHECK(c->request("POST", "/_sim/resource_fault?f=500").status == 200);
    CHECK(c->request("GET", "/openidm/x", {{"Authorization", "Bearer " + token}}).status == 500);
    CHECK(c->request("POST", "/_sim/resource_fault?f=").status == 200);
    CHECK(c->request("GET", "/openidm/x", {{"Authorization", "Bearer " + token}}).status == 200);
    CHECK(sim.stats().token_requests == 5);
}

TEST_CASE_METHOD(fixture, "a hanging token endpoint never answers") {
    sim.set_token_fault(aic::sim::token_fault::hang);
    auto c = client(std::chrono::milliseconds{300});
    CHECK_THROWS(
        c->request("POST", cc_path, basic("iga", tricky_secret, true), "grant_type=client_credentials"));
    CHECK(sim.stats().token_requests == 1);
}

TEST_CASE_METHOD(fixture, "close_idle_connections closes keep-alive connections between requests") {
    auto c = client();
    CHECK(c->request("GET", "/_sim/stats").status == 200);
    sim.close_idle_connections();
    CHECK_THROWS(c->request("GET", "/_sim/stats"));
    CHECK(c->request("GET", "/_sim/stats").status == 200);  // a fresh connection
    CHECK(c->connections_opened() == 2);
}

TEST_CASE("the tenant-sim binary runs a demo-setup directory and serves the control API") {
    aic::test::sim_process sim;
    CHECK(std::filesystem::exists(sim.dir() / "demo.json"));
    auto const demo = json::parse(slurp(sim.dir() / "demo.json"));
    CHECK(demo.at("tenant").as_string() == sim.base_url());
    CHECK((std::filesystem::status(sim.dir() / "sa.jwk").permissions() &
           std::filesystem::perms::group_read) == std::filesystem::perms::none);

    http_client c{"127.0.0.1", sim.port(), sim.tls()};
    auto const iga_secret = slurp(sim.dir() / "iga.secret");
    auto const res = c.request("POST", cc_path, basic("iga-demo", iga_secret, true),
                               "grant_type=client_credentials&scope=" + form_encode("fr:idm:* fr:iga:*"));
    CHECK(res.status == 200);
    auto const stats = sim.stats();
    CHECK(stats.token_requests == 1);
    CHECK(stats.tokens_issued == 1);
    CHECK(stats.tls_connections == 1);  // the control connections are not counted
    sim.set_token_fault("http_500");
    CHECK(c.request("POST", cc_path, basic("iga-demo", iga_secret, true), "grant_type=client_credentials")
              .status == 500);
    CHECK(sim.process().running());
}

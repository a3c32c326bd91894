// Every class of config error names its JSON path and never echoes a secret.
#include "support.hpp"

using namespace aic::config;
using namespace aic::config::test;
using Catch::Matchers::Contains;

TEST_CASE("syntax errors give a position, not the text", "[config][errors]") {
    credentials_fixture f;
    auto const msg = f.error("{\n  \"tenant\": \"https://t.example.com\", // the tenant\n}");
    CHECK_THAT(msg, Contains("config: test.json: invalid JSON at line 2, column 38"));
    CHECK_THAT(msg, Contains("comments"));
    CHECK_THAT(f.error(R"({"tenant": "x",})"), Contains("invalid JSON at line 1"));
    auto const leaked = f.error(R"({"client_secret": "inline-secret-value" oops})");
    CHECK_THAT(leaked, !Contains("inline-secret-value"));
}

TEST_CASE("the document must be an object", "[config][errors]") {
    credentials_fixture f;
    CHECK_THAT(f.error("[1, 2]"), Contains("config: <root>: expected an object, got array"));
}

TEST_CASE("unknown keys name their path and suggest the intended key", "[config][errors]") {
    credentials_fixture f;
    CHECK_THAT(f.error(sa_config(R"("tenent": "x")")),
               Contains("config: tenent: unknown key (did you mean \"tenant\"?)"));
    auto const nested = f.error(R"({"tenant": "https://t.example.com", "credentials": {"sa":
        {"type": "service_account", "account_id": "a", "key_fle": "sa.jwk"}}})");
    CHECK_THAT(nested, Contains("config: credentials.sa.key_fle: unknown key"));
    CHECK_THAT(nested, Contains("did you mean \"key_file\""));
    CHECK_THAT(f.error(sa_config(R"("timeouts": {"idle": 5})")),
               Contains("config: timeouts.idle: unknown key"));
    CHECK_THAT(f.error(sa_config(
                   R"("routes": [{"prefix": "/a", "credential": "sa", "scopes": ["s"], "scope": 1}])")),
               Contains("config: routes[0].scope: unknown key"));
    CHECK_THAT(f.error(sa_config(R"("security": {"required_header": {"name": "X", "valu": "1"}})")),
               Contains("config: security.required_header.valu: unknown key"));
}

TEST_CASE("a key of another credential type is unknown for this type", "[config][errors]") {
    credentials_fixture f;
    auto const msg = f.error(R"({"tenant": "https://t.example.com", "credentials": {"sa":
        {"type": "service_account", "account_id": "a", "key_file": "sa.jwk", "client_id": "c"}}})");
    CHECK_THAT(msg,
               Contains("config: credentials.sa.client_id: unknown key for a service_account credential"));
    CHECK_THAT(f.error(R"({"tenant": "https://t.example.com", "credentials": {"x": {"type": "oauth"}}})"),
               Contains("config: credentials.x.type: expected \"service_account\""));
}

TEST_CASE("wrong types name the path and the kind, not the value", "[config][errors]") {
    credentials_fixture f;
    CHECK_THAT(f.error(sa_config(R"("threads": "2")")), Contains("config: threads: expected an integer"));
    CHECK_THAT(f.error(sa_config(R"("threads": 0)")),
               Contains("config: threads: expected an integer from 1 to 64, got 0"));
    CHECK_THAT(f.error(sa_config(R"("threads": 65)")),
               Contains("config: threads: expected an integer from 1 to 64, got 65"));
    CHECK_THAT(f.error(sa_config(R"("listen": "127.0.0.1:8080")")),
               Contains("config: listen: expected an array, got string"));
    CHECK_THAT(
        f.error(sa_config(R"("timeouts": {"idle_ms": -5})")),
        Contains("config: timeouts.idle_ms: expected an integer from 1 to 86400000, got a negative number"));
    CHECK_THAT(f.error(sa_config(R"("timeouts": {"idle_ms": 1.5})")), Contains("config: timeouts.idle_ms:"));
    CHECK_THAT(f.error(sa_config(R"("security": {"read_only": "yes"})")),
               Contains("config: security.read_only: expected true or false, got string"));
    CHECK_THAT(f.error(sa_config(R"("tokens": {"refresh_fraction": 0.9})")),
               Contains("config: tokens.refresh_fraction: expected a number from 0 to 0.5"));
    CHECK_THAT(f.error(sa_config(R"("tokens": {"assertion_lifetime_s": 1801})")),
               Contains("config: tokens.assertion_lifetime_s: expected an integer from 10 to 1800"));
    // 0 would let every upstream 401 force a token fetch again.
    CHECK_THAT(
        f.error(sa_config(R"("tokens": {"forced_refresh_interval_s": 0})")),
        Contains("config: tokens.forced_refresh_interval_s: expected an integer from 1 to 3600, got 0"));
    CHECK_THAT(f.error(sa_config(R"("tokens": {"backoff_initial_ms": 5000, "backoff_max_ms": 100})")),
               Contains("config: tokens.backoff_max_ms: must not be less than backoff_initial_ms"));
    CHECK_THAT(f.error(sa_config(R"("logging": {"format": "xml"})")),
               Contains("config: logging.format: expected \"text\" or \"json\""));
    CHECK_THAT(f.error(sa_config(R"("logging": {"level": "verbose"})")),
               Contains("config: logging.level: expected"));
    CHECK_THAT(f.error(sa_config(R"("routes": [{"prefix": "/a", "credential": "sa", "scopes": "fr:am:*"}])")),
               Contains("config: routes[0].scopes: expected an array, got string"));

    // A secret key with a non-string value: the message gives the kind only.
    auto const msg = f.error(R"({"tenant": "https://t.example.com", "credentials": {"c":
        {"type": "client_credentials", "client_id": "c", "client_secret": 987654321}}})");
    CHECK_THAT(msg, Contains("config: credentials.c.client_secret: expected a string, got number"));
    CHECK_THAT(msg, !Contains("987654321"));
}

TEST_CASE("missing required keys", "[config][errors]") {
    credentials_fixture f;
    CHECK_THAT(f.error(R"({"credentials": {}})"), Contains("config: tenant: missing required key"));
    CHECK_THAT(f.error(R"({"tenant": "https://t.example.com"})"),
               Contains("config: credentials: missing required key"));
    CHECK_THAT(f.error(R"({"tenant": "https://t.example.com", "credentials": {}})"),
               Contains("config: credentials: at least one credential is required"));
    CHECK_THAT(
        f.error(
            R"({"tenant": "https://t.example.com", "credentials": {"sa": {"type": "service_account", "key_file": "sa.jwk"}}})"),
        Contains("config: credentials.sa.account_id: missing required key"));
    CHECK_THAT(
        f.error(
            R"({"tenant": "https://t.example.com", "credentials": {"sa": {"type": "service_account", "account_id": "a"}}})"),
        Contains("config: credentials.sa.key_file: missing required key"));
    CHECK_THAT(f.error(sa_config(R"("routes": [{"credential": "sa", "scopes": ["s"]}])")),
               Contains("config: routes[0].prefix: missing required key"));
    CHECK_THAT(f.error(sa_config(R"("routes": [{"prefix": "/a", "credential": "sa"}])")),
               Contains("config: routes[0].scopes: a token credential needs at least one scope"));
}

TEST_CASE("URLs must be https", "[config][errors]") {
    credentials_fixture f;
    auto with_tenant = [](std::string const& tenant) {
        return R"({"tenant": ")" + tenant +
               R"(", "credentials": {"sa": {"type": "service_account", "account_id": "a", "key_file": "sa.jwk"}}})";
    };
    CHECK_THAT(f.error(with_tenant("http://t.example.com")),
               Contains("config: tenant: must be an https:// URL"));
    CHECK_THAT(f.error(with_tenant("t.example.com")), Contains("config: tenant: expected an https URL"));
    CHECK_THAT(f.error(with_tenant("https://t.example.com/am")),
               Contains("config: tenant: expected the tenant's base URL without a path"));
    auto const userinfo = f.error(with_tenant("https://admin:hunter2@t.example.com"));
    CHECK_THAT(userinfo, Contains("config: tenant: expected an https URL"));
    CHECK_THAT(userinfo, !Contains("hunter2"));
    CHECK_THAT(
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"sa": {"type": "service_account",
        "account_id": "a", "key_file": "sa.jwk", "token_endpoint": "http://x/token"}}})"),
        Contains("config: credentials.sa.token_endpoint: expected an https URL"));
    CHECK_THAT(
        f.error(sa_config(
            R"("routes": [{"prefix": "/a", "credential": "sa", "scopes": ["s"], "upstream": "ftp://x"}])")),
        Contains("config: routes[0].upstream: expected an https URL"));
}

TEST_CASE("bad listen addresses", "[config][errors]") {
    credentials_fixture f;
    auto listen = [&](std::string const& entries) { return f.error(sa_config(R"("listen": )" + entries)); };
    CHECK_THAT(listen(R"(["localhost"])"), Contains("config: listen[0]: \"localhost\": expected"));
    CHECK_THAT(listen(R"(["127.0.0.1:8080", "127.0.0.1:99999"])"),
               Contains("config: listen[1]: \"127.0.0.1:99999\": the port"));
    CHECK_THAT(listen(R"(["::1:8080"])"),
               Contains("config: listen[0]: \"::1:8080\": write an IPv6 address in brackets"));
    CHECK_THAT(listen(R"(["[::1:8080"])"), Contains("config: listen[0]:"));
    CHECK_THAT(listen(R"(["[zz::1]:8080"])"), Contains("not an IPv6 address"));
    CHECK_THAT(listen(R"(["unix:proxy.sock"])"),
               Contains("config: listen[0]: \"unix:proxy.sock\": a unix socket path must be absolute"));
    CHECK_THAT(listen(R"(["127.0.0.1:abc"])"), Contains("config: listen[0]:"));
    CHECK_THAT(listen(R"([])"), Contains("config: listen: at least one address is required"));
    CHECK_THAT(listen(R"(["127.0.0.1:1", "127.0.0.1:1"])"), Contains("config: listen[1]: duplicate address"));
    CHECK_THAT(listen(R"([{"address": "127.0.0.1:1", "mode": "0600"}])"),
               Contains("config: listen[0].mode: only unix sockets have a file mode"));
    CHECK_THAT(listen(R"([{"address": "unix:/run/x.sock", "mode": "0999"}])"),
               Contains("config: listen[0].mode: expected an octal"));
    CHECK_THAT(listen(R"([42])"), Contains("config: listen[0]: expected a string or an object, got number"));
}

TEST_CASE("routes: unknown credential, duplicates, prefixes, headers", "[config][errors]") {
    credentials_fixture f;
    auto routes = [&](std::string const& list) { return f.error(sa_config(R"("routes": )" + list)); };
    CHECK_THAT(routes(R"([{"prefix": "/a", "credential": "iga", "scopes": ["s"]}])"),
               Contains("config: routes[0].credential: unknown credential \"iga\" (configured: sa)"));
    CHECK_THAT(
        routes(
            R"([{"prefix": "/a", "credential": "sa", "scopes": ["s"]}, {"prefix": "/b", "credential": "sa", "scopes": ["s"]},
                          {"prefix": "/a/", "credential": "sa", "scopes": ["t"]}])"),
        Contains("config: routes[2].prefix: duplicate prefix /a (already used by routes[0])"));
    CHECK_THAT(routes(R"([{"prefix": "openidm", "credential": "sa", "scopes": ["s"]}])"),
               Contains("config: routes[0].prefix: must start with '/'"));
    CHECK_THAT(routes(R"([{"prefix": "/", "credential": "sa", "scopes": ["s"]}])"),
               Contains("config: routes[0].prefix: must name"));
    CHECK_THAT(routes(R"([{"prefix": "/a/../b", "credential": "sa", "scopes": ["s"]}])"),
               Contains("'..' segments"));
    CHECK_THAT(routes(R"([{"prefix": "/a%2f", "credential": "sa", "scopes": ["s"]}])"),
               Contains("must be a plain path"));
    CHECK_THAT(routes(R"([{"prefix": "/_proxy/x", "credential": "sa", "scopes": ["s"]}])"),
               Contains("reserved"));
    CHECK_THAT(routes(R"([])"), Contains("config: routes: empty; remove the key"));
    CHECK_THAT(
        routes(
            R"([{"prefix": "/a", "credential": "sa", "scopes": ["s"], "headers": {"Authorization": "x"}}])"),
        Contains("config: routes[0].headers.Authorization: set by the proxy itself"));
    CHECK_THAT(
        routes(R"([{"prefix": "/a", "credential": "sa", "scopes": ["s"], "headers": {"X-A": "a\nb"}}])"),
        Contains("config: routes[0].headers.X-A: header values must not contain CR, LF or NUL"));
    CHECK_THAT(
        routes(R"([{"prefix": "/a", "credential": "sa", "scopes": ["s"], "headers": {"X-A": "a\u0000b"}}])"),
        Contains("config: routes[0].headers.X-A: header values must not contain CR, LF or NUL"));
    CHECK_THAT(routes(R"([{"prefix": "/a", "credential": "sa", "scopes": ["s"], "methods": []}])"),
               Contains("config: routes[0].methods: an empty list"));
    CHECK_THAT(routes(R"([{"prefix": "/a", "credential": "sa", "scopes": ["two words"]}])"),
               Contains("config: routes[0].scopes[0]: a scope is one non-empty word"));
}

TEST_CASE("a required header's value must be one that a head can carry", "[config][errors]") {
    credentials_fixture f;
    for (std::string const bad : {R"("a\rb")", R"("a\nb")", R"("a\u0000b")", R"("")"}) {
        INFO(bad);
        CHECK_THAT(
            f.error(sa_config(R"("security": {"required_header": {"name": "X", "value": )" + bad + "}}")),
            Contains("config: security.required_header.value: must be non-empty, without CR, LF or NUL"));
    }
}

TEST_CASE("api_key routes take no scopes", "[config][errors]") {
    credentials_fixture f;
    auto const msg =
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"logs": {"type": "api_key",
        "key_id": "k", "secret_file": "logs.secret"}}, "routes": [{"prefix": "/monitoring", "credential": "logs",
        "scopes": ["x"]}]})");
    CHECK_THAT(msg, Contains("config: routes[0].scopes: an api_key credential sends no token"));
}

TEST_CASE("an api_key credential's values must be ones a head can carry", "[config][errors][secrets]") {
    credentials_fixture f;
    auto const api_key = [&](std::string const& fields) {
        return f.error(R"({"tenant": "https://t.example.com", "credentials": {"logs": {"type": "api_key", )" +
                       fields + "}}}");
    };
    CHECK_THAT(api_key(R"("key_id": "k\r\nX-Evil: 1", "secret_file": "logs.secret")"),
               Contains("config: credentials.logs.key_id: must not contain CR, LF or NUL"));

    f.dir.write("nul.secret", std::string("hidden\0part", 11));
    auto const from_file = api_key(R"("key_id": "k", "secret_file": "nul.secret")");
    CHECK_THAT(from_file,
               Contains("config: credentials.logs.secret_file: the secret must not contain CR, LF or NUL"));
    CHECK_THAT(from_file, !Contains("hidden"));

    f.env.vars["LOGS_SECRET"] = "hidden\nline";
    auto const from_env = api_key(R"("key_id": "k", "secret": "${LOGS_SECRET}")");
    CHECK_THAT(from_env,
               Contains("config: credentials.logs.secret: the secret must not contain CR, LF or NUL"));
    CHECK_THAT(from_env, !Contains("hidden"));

    // A file saved with CRLF line endings is fine: trailing newlines are trimmed before the check.
    f.dir.write("crlf.secret", "abc\r\n");
    auto const loaded =
        f.load(R"({"tenant": "https://t.example.com", "credentials": {"logs": {"type": "api_key",
        "key_id": "k", "secret_file": "crlf.secret"}}})");
    CHECK(loaded.credentials.at("logs").api_secret.reveal() == "abc");
}

TEST_CASE("unreadable secret files name the path and errno, not content", "[config][errors][secrets]") {
    credentials_fixture f;
    auto const missing = (f.dir.path() / "nope.jwk").string();
    auto const msg =
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"sa": {"type": "service_account",
        "account_id": "a", "key_file": "nope.jwk"}}})");
    CHECK_THAT(msg, Contains("config: credentials.sa.key_file: cannot read " + missing +
                             ": No such file or directory"));

    f.dir.write("sub/placeholder", "x");
    CHECK_THAT(
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"sa": {"type": "service_account",
        "account_id": "a", "key_file": "sub"}}})"),
        Contains("config: credentials.sa.key_file: " + (f.dir.path() / "sub").string() +
                 " is not a regular file"));

    f.dir.write("empty.secret", "\n\n");
    CHECK_THAT(
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"c": {"type": "client_credentials",
        "client_id": "c", "client_secret_file": "empty.secret"}}})"),
        Contains("config: credentials.c.client_secret_file: " + (f.dir.path() / "empty.secret").string() +
                 " is empty"));

    CHECK_THAT(f.error(sa_config(R"("tls": {"ca_file": "/nonexistent/ca.pem"})")),
               Contains("config: tls.ca_file: cannot read /nonexistent/ca.pem: No such file or directory"));
}

TEST_CASE("inline secrets are refused without echoing them", "[config][errors][secrets]") {
    credentials_fixture f;
    auto const msg =
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"c": {"type": "client_credentials",
        "client_id": "c", "client_secret": "inline-secret-value"}}})");
    CHECK_THAT(msg, Contains("config: credentials.c.client_secret: must be a \"${ENV_NAME}\" reference"));
    CHECK_THAT(msg, !Contains("inline-secret-value"));
    CHECK_THAT(
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"c": {"type": "client_credentials",
        "client_id": "c", "client_secret": "${X}", "client_secret_file": "iga.secret"}}})"),
        Contains("config: credentials.c.client_secret: give either client_secret_file or client_secret, not "
                 "both"));
}

TEST_CASE("a later error does not reveal secrets that were already loaded", "[config][errors][secrets]") {
    credentials_fixture f;
    f.env.vars["IGA_SECRET"] = "env-secret-value-123";
    auto const msg =
        f.error(R"({"tenant": "https://t.example.com", "credentials": {"c": {"type": "client_credentials",
        "client_id": "c", "client_secret": "${IGA_SECRET}"}}, "routes": [{"prefix": "/iga", "credential": "c",
        "scopes": ["fr:iga:*"], "methods": ["GET POST"]}]})");
    CHECK_THAT(msg, Contains("config: routes[0].methods[0]: not a valid HTTP method"));
    CHECK_THAT(msg, !Contains("env-secret-value-123"));
    CHECK_THAT(msg, !Contains("test-only-iga-client-secret"));
}

TEST_CASE("references to unset or empty variables name the variable", "[config][errors][secrets]") {
    credentials_fixture f;
    f.env.vars["EMPTY"] = "";
    auto cc = [](std::string const& secret) {
        return R"({"tenant": "https://t.example.com", "credentials": {"c": {"type": "client_credentials",
            "client_id": "c", "client_secret": ")" +
               secret + R"("}}})";
    };
    CHECK_THAT(f.error(cc("${MISSING}")),
               Contains("config: credentials.c.client_secret: environment variable MISSING is not set"));
    CHECK_THAT(f.error(cc("${EMPTY}")),
               Contains("config: credentials.c.client_secret: environment variable EMPTY is empty"));
    CHECK_THAT(f.error(cc("${bad name}")), Contains("must name an environment variable"));
}

TEST_CASE("duplicate keys are refused, naming where", "[config][errors]") {
    credentials_fixture f;
    CHECK_THAT(
        f.error(
            R"({"tenant": "https://t.example.com", "tenant": "https://u.example.com", "credentials": {}})"),
        Contains("config: tenant: duplicate key"));
    CHECK_THAT(f.error(R"({"tenant": "https://t.example.com", "credentials": {
        "sa": {"type": "service_account", "account_id": "a", "key_file": "sa.jwk"},
        "sa": {"type": "client_credentials"}}})"),
               Contains("config: credentials.sa: duplicate key"));
    CHECK_THAT(f.error(sa_config(R"("routes": [{"prefix": "/a", "credential": "sa", "scopes": ["s"]},
        {"prefix": "/b", "credential": "sa", "scopes": ["s"], "headers": {"X-A": "1", "X\u002dA": "2"}}])")),
               Contains("config: routes[1].headers.X-A: duplicate key"));
}

TEST_CASE("an unreadable config file names the file and the reason", "[config][errors]") {
    temp_dir dir;
    auto const missing = dir.path() / "absent.json";
    CHECK_THROWS_WITH(load_config_file(missing, fake_env{}.get(), {}),
                      Contains("config: " + missing.string() + ": cannot read: No such file or directory"));
    CHECK_THROWS_WITH(load_config_file(dir.path(), fake_env{}.get(), {}),
                      Contains("cannot read: Is a directory"));
}

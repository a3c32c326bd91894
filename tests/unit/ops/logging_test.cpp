// setup_logging(): every line, on every logger and level, goes through redact(); text and JSON
// layouts; the access log.
#include "ops/logging.hpp"
#include "ops/access_log.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using aic::config::logging_settings;
using namespace std::chrono_literals;

namespace {

constexpr char const* jwt =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJzYSIsImF1ZCI6Imh0dHBzOi8veCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

struct capture {
    std::ostringstream stream;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink =
        std::make_shared<spdlog::sinks::ostream_sink_mt>(stream);

    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::istringstream in(stream.str());
        for (std::string l; std::getline(in, l);) out.push_back(l);
        return out;
    }
};

logging_settings settings(std::string level, logging_settings::format fmt, bool access = true) {
    logging_settings s;
    s.level = std::move(level);
    s.fmt = fmt;
    s.access_log = access;
    return s;
}

}  // namespace

TEST_CASE("secrets never reach the sink, at any level and in both formats", "[logging]") {
    auto const level = GENERATE(as<std::string>{}, "trace", "debug", "info");
    auto const fmt = GENERATE(logging_settings::format::text, logging_settings::format::json);
    capture cap;
    aic::ops::setup_logging(settings(level, fmt), cap.sink);

    spdlog::trace("sending Authorization: Bearer {}", "tr4ce-t0ken");
    spdlog::debug("token response {}", R"({"access_token":"d3bug-t0ken","expires_in":899})");
    spdlog::info("assertion {}", jwt);
    spdlog::info(R"(body {{"client_secret":"x"}})");
    spdlog::warn(
        "form grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=f0rm-assert10n&scope=a");
    spdlog::get("access")->info("Bearer acc3ss-t0ken");

    auto const out = cap.stream.str();
    INFO(out);
    for (char const* secret : {"tr4ce-t0ken", "d3bug-t0ken", "eyJ", "f0rm-assert10n", "acc3ss-t0ken"}) {
        CHECK(out.find(secret) == std::string::npos);
    }
    CHECK(out.find(R"("x")") == std::string::npos);
    CHECK(out.find(R"(\"x\")") == std::string::npos);
    // The lines were written (so the absence above means something), redacted.
    CHECK(out.find("[REDACTED]") != std::string::npos);
    auto const expected_lines = level == "trace" ? 6u : level == "debug" ? 5u : 4u;
    CHECK(cap.lines().size() == expected_lines);
}

TEST_CASE("a later spdlog::set_pattern cannot bypass redaction", "[logging]") {
    capture cap;
    aic::ops::setup_logging(settings("info", logging_settings::format::text), cap.sink);
    spdlog::set_pattern("%v");
    spdlog::info("Bearer s3cr3t-value");
    CHECK(cap.stream.str().find("s3cr3t-value") == std::string::npos);
    CHECK(cap.stream.str().find("[REDACTED]") != std::string::npos);
}

TEST_CASE("text format: UTC timestamp, level, logger name, message", "[logging]") {
    capture cap;
    aic::ops::setup_logging(settings("info", logging_settings::format::text), cap.sink);
    spdlog::debug("hidden");
    spdlog::info("hello world");
    auto const lines = cap.lines();
    REQUIRE(lines.size() == 1);
    auto const& l = lines[0];
    // 2024-01-02T03:04:05.678Z info aic-proxy: hello world
    REQUIRE(l.size() > 24);
    CHECK(l[4] == '-');
    CHECK(l[10] == 'T');
    CHECK(l[19] == '.');
    CHECK(l[23] == 'Z');
    CHECK(l.substr(24) == " info aic-proxy: hello world");
}

TEST_CASE("json format: one escaped object per line", "[logging]") {
    capture cap;
    aic::ops::setup_logging(settings("info", logging_settings::format::json), cap.sink);
    spdlog::warn("quote \" backslash \\ newline \n tab \t bell \x07 done");
    auto const lines = cap.lines();
    REQUIRE(lines.size() == 1);
    auto const& l = lines[0];
    CHECK(l.rfind(R"({"time":")", 0) == 0);
    CHECK(l.find(R"("level":"warning","logger":"aic-proxy",)") != std::string::npos);
    CHECK(l.find(R"("msg":"quote \" backslash \\ newline \n tab \t bell \u0007 done"})") !=
          std::string::npos);
    CHECK(l.back() == '}');
}

TEST_CASE("access log: text line with the request's fields", "[logging][access]") {
    capture cap;
    aic::ops::setup_logging(settings("info", logging_settings::format::text), cap.sink);
    aic::ops::access_record r;
    r.request_id = "req-1";
    r.method = "GET";
    r.path = "/openidm/managed/alpha_user";
    r.route = "/openidm";
    r.status = 200;
    r.bytes_in = 0;
    r.bytes_out = 1234;
    r.duration = 12345678ns;
    r.upstream_time = 10500us;
    aic::ops::log_access(r);
    auto const lines = cap.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(
              " info access: req-1 \"GET /openidm/managed/alpha_user\" 200 route=/openidm in=0 out=1234 "
              "dur_ms=12.3 upstream_ms=10.5") != std::string::npos);
}

TEST_CASE("access log: client-controlled fields cannot forge lines", "[logging][access]") {
    capture cap;
    aic::ops::setup_logging(settings("info", logging_settings::format::text), cap.sink);
    aic::ops::access_record r;
    r.request_id = "id\nfake 200";
    r.method = "GET";
    r.path = "/a\"b";
    r.route = "-";
    r.status = 404;
    aic::ops::log_access(r);
    auto const lines = cap.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(R"(id\x0afake\x20200 "GET /a\"b" 404 route=-)") != std::string::npos);
}

TEST_CASE("access log: JSON object with the fields", "[logging][access]") {
    capture cap;
    aic::ops::setup_logging(settings("info", logging_settings::format::json), cap.sink);
    aic::ops::access_record r;
    r.request_id = "r\"1";
    r.method = "POST";
    r.path = "/am/json";
    r.route = "/am";
    r.status = 401;
    r.bytes_in = 10;
    r.bytes_out = 20;
    r.duration = 1ms;
    aic::ops::log_access(r);
    auto const lines = cap.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(
              R"("logger":"access","request_id":"r\"1","method":"POST","path":"/am/json","status":401,)"
              R"("route":"/am","in":10,"out":20,"dur_ms":1.0,"upstream_ms":0.0})") != std::string::npos);
}

TEST_CASE("access log: nothing when disabled or below the level", "[logging][access]") {
    aic::ops::access_record r;
    r.method = "GET";
    r.path = "/x";
    SECTION("disabled") {
        capture cap;
        aic::ops::setup_logging(settings("info", logging_settings::format::text, false), cap.sink);
        CHECK(spdlog::get("access") == nullptr);
        aic::ops::log_access(r);
        CHECK(cap.stream.str().empty());
    }
    SECTION("level warn") {
        capture cap;
        aic::ops::setup_logging(settings("warn", logging_settings::format::text), cap.sink);
        aic::ops::log_access(r);
        CHECK(cap.stream.str().empty());
    }
}

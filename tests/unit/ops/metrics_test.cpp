// metrics_registry::render() parsed back with a small Prometheus text-format parser.
#include "ops/metrics.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using aic::ops::metrics_registry;
using aic::ops::token_gauge;
using namespace std::chrono_literals;

namespace {

struct parsed_sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct exposition {
    std::map<std::string, std::string> types;  // family -> type
    std::set<std::string> helps;
    std::vector<parsed_sample> samples;

    // Sum of the samples of `name` whose labels include all of `match`.
    double sum(std::string const& name, std::map<std::string, std::string> const& match = {}) const {
        double total = 0;
        for (auto const& s : samples) {
            if (s.name != name) continue;
            bool ok = true;
            for (auto const& [k, v] : match) {
                auto it = s.labels.find(k);
                if (it == s.labels.end() || it->second != v) ok = false;
            }
            if (ok) total += s.value;
        }
        return total;
    }
    std::size_t count(std::string const& name) const {
        std::size_t n = 0;
        for (auto const& s : samples) n += s.name == name ? 1 : 0;
        return n;
    }
};

std::string family_of(std::string const& name, std::map<std::string, std::string> const& types) {
    for (std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            auto base = name.substr(0, name.size() - suffix.size());
            auto it = types.find(base);
            if (it != types.end() && it->second == "histogram") return base;
        }
    }
    return name;
}

// Parses text format 0.0.4 strictly enough to catch malformed output: every sample is
// `name{k="v",...} value`, each family has HELP and TYPE before its first sample.
exposition parse(std::string const& text) {
    exposition e;
    std::istringstream in(text);
    std::string line;
    REQUIRE(!text.empty());
    REQUIRE(text.back() == '\n');
    while (std::getline(in, line)) {
        REQUIRE(!line.empty());
        if (line.rfind("# HELP ", 0) == 0) {
            auto rest = line.substr(7);
            e.helps.insert(rest.substr(0, rest.find(' ')));
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream t(line.substr(7));
            std::string name, type;
            t >> name >> type;
            REQUIRE((type == "counter" || type == "gauge" || type == "histogram"));
            REQUIRE(e.types.count(name) == 0);
            e.types[name] = type;
            continue;
        }
        REQUIRE(line[0] != '#');
        parsed_sample s;
        std::size_t p = 0;
        while (p < line.size() &&
               (std::isalnum(static_cast<unsigned char>(line[p])) || line[p] == '_' || line[p] == ':'))
            ++p;
        s.name = line.substr(0, p);
        REQUIRE(!s.name.empty());
        if (p < line.size() && line[p] == '{') {
            ++p;
            while (true) {
                REQUIRE(p < line.size());
                if (line[p] == '}') {
                    ++p;
                    break;
                }
                auto eq = line.find('=', p);
                REQUIRE(eq != std::string::npos);
                std::string key = line.substr(p, eq - p);
                p = eq + 1;
                REQUIRE(line.at(p) == '"');
                ++p;
                std::string value;
                while (true) {
                    REQUIRE(p < line.size());
                    char c = line[p++];
                    if (c == '"') break;
                    if (c == '\\') {
                        char n = line.at(p++);
                        REQUIRE((n == '\\' || n == '"' || n == 'n'));
                        value += n == 'n' ? '\n' : n;
                    } else {
                        value += c;
                    }
                }
                REQUIRE(s.labels.count(key) == 0);
                s.labels[key] = value;
                if (line.at(p) == ',') ++p;
            }
        }
        REQUIRE(line.at(p) == ' ');
        auto value_text = line.substr(p + 1);
        REQUIRE(!value_text.empty());
        std::size_t used = 0;
        s.value = std::stod(value_text, &used);
        REQUIRE(used == value_text.size());
        auto family = family_of(s.name, e.types);
        INFO("sample " << s.name << " needs TYPE and HELP before it");
        REQUIRE(e.types.count(family) == 1);
        REQUIRE(e.helps.count(family) == 1);
        e.samples.push_back(std::move(s));
    }
    return e;
}

}  // namespace

TEST_CASE("requests are counted by route, method class and status class", "[metrics]") {
    metrics_registry m({"/openidm", "/am"});
    m.request_done(0, "GET", 200, 3ms, 0, 100);
    m.request_done(0, "GET", 204, 3ms, 0, 0);
    m.request_done(0, "POST", 401, 20ms, 50, 10);
    m.request_done(1, "BREW", 503, 2s, 0, 0);
    m.request_done(metrics_registry::no_route, "GET", 404, 1ms, 0, 0);

    auto e = parse(m.render({}));
    CHECK(e.types.at("aic_proxy_requests_total") == "counter");
    CHECK(e.sum("aic_proxy_requests_total", {{"route", "/openidm"}, {"method", "GET"}, {"code", "2xx"}}) ==
          2);
    CHECK(e.sum("aic_proxy_requests_total", {{"route", "/openidm"}, {"method", "POST"}, {"code", "4xx"}}) ==
          1);
    CHECK(e.sum("aic_proxy_requests_total", {{"route", "/am"}, {"method", "other"}, {"code", "5xx"}}) == 1);
    CHECK(e.sum("aic_proxy_requests_total", {{"route", "none"}, {"method", "GET"}, {"code", "4xx"}}) == 1);
    CHECK(e.sum("aic_proxy_requests_total") == 5);
    CHECK(e.sum("aic_proxy_request_bytes_total", {{"route", "/openidm"}, {"direction", "out"}}) == 110);
    CHECK(e.sum("aic_proxy_request_bytes_total", {{"route", "/openidm"}, {"direction", "in"}}) == 50);
}

TEST_CASE("duration histogram has cumulative buckets, sum in seconds and a matching count", "[metrics]") {
    metrics_registry m({"/openidm"});
    m.request_done(0, "GET", 200, 3ms, 0, 0);   // <= 0.005
    m.request_done(0, "GET", 200, 70ms, 0, 0);  // <= 0.1
    m.request_done(0, "GET", 200, 11s, 0, 0);   // +Inf only
    auto e = parse(m.render({}));
    CHECK(e.types.at("aic_proxy_request_duration_seconds") == "histogram");
    std::map<std::string, std::string> r{{"route", "/openidm"}};
    auto bucket = [&](std::string le) {
        auto labels = r;
        labels["le"] = le;
        return e.sum("aic_proxy_request_duration_seconds_bucket", labels);
    };
    CHECK(bucket("0.005") == 1);
    CHECK(bucket("0.05") == 1);
    CHECK(bucket("0.1") == 2);
    CHECK(bucket("10") == 2);
    CHECK(bucket("+Inf") == 3);
    CHECK(e.sum("aic_proxy_request_duration_seconds_count", r) == 3);
    CHECK(e.sum("aic_proxy_request_duration_seconds_sum", r) == Approx(11.073));

    // Buckets never decrease with le.
    double previous = 0;
    for (auto const& s : e.samples) {
        if (s.name != "aic_proxy_request_duration_seconds_bucket" || s.labels.at("route") != "/openidm")
            continue;
        CHECK(s.value >= previous);
        previous = s.value;
    }
    // No traffic without a route: no "none" histogram series.
    CHECK(e.sum("aic_proxy_request_duration_seconds_count", {{"route", "none"}}) == 0);
}

TEST_CASE("upstream errors, connections and the active gauge", "[metrics]") {
    metrics_registry m({});
    m.upstream_error("tls");
    m.upstream_error("tls");
    m.upstream_error("timeout");
    m.upstream_error("made-up");
    m.upstream_connection_opened(false);
    m.upstream_connection_opened(true);
    m.connection_opened();
    m.connection_opened();
    m.connection_opened();
    m.connection_closed();
    auto e = parse(m.render({}));
    CHECK(e.sum("aic_proxy_upstream_errors_total", {{"kind", "tls"}}) == 2);
    CHECK(e.sum("aic_proxy_upstream_errors_total", {{"kind", "timeout"}}) == 1);
    CHECK(e.sum("aic_proxy_upstream_errors_total", {{"kind", "connect"}}) == 0);
    CHECK(e.sum("aic_proxy_upstream_errors_total", {{"kind", "other"}}) == 1);
    CHECK(e.sum("aic_proxy_upstream_connections_opened_total") == 2);
    CHECK(e.sum("aic_proxy_upstream_connections_resumed_total") == 1);
    CHECK(e.types.at("aic_proxy_active_connections") == "gauge");
    CHECK(e.sum("aic_proxy_active_connections") == 2);
}

TEST_CASE("token gauges are rendered per credential and scope set, labels escaped", "[metrics]") {
    metrics_registry m({"/openidm"});
    std::vector<token_gauge> tokens{
        {"sa", "fr:idm:*", 1234.5, 3, 1, 0, 7},
        {"we\"ird\\name\nx", "a b", -5, 0, 4, 4, 0},
    };
    auto e = parse(m.render(tokens));
    CHECK(e.sum("aic_proxy_token_fetches_total", {{"credential", "sa"}, {"result", "ok"}}) == 3);
    CHECK(e.sum("aic_proxy_token_fetches_total", {{"credential", "sa"}, {"result", "error"}}) == 1);
    CHECK(e.sum("aic_proxy_token_expiry_seconds", {{"credential", "sa"}, {"scopes", "fr:idm:*"}}) == 1234.5);
    CHECK(e.sum("aic_proxy_token_waits_total", {{"credential", "sa"}}) == 7);
    std::map<std::string, std::string> weird{{"credential", "we\"ird\\name\nx"}, {"scopes", "a b"}};
    CHECK(e.sum("aic_proxy_token_refresh_failures_in_a_row", weird) == 4);
    CHECK(e.sum("aic_proxy_token_fetches_total", {{"credential", "we\"ird\\name\nx"}, {"result", "error"}}) ==
          4);
    CHECK(e.sum("aic_proxy_token_expiry_seconds", weird) == 0);
    CHECK(e.count("aic_proxy_token_expiry_seconds") == 2);
    CHECK(e.types.at("aic_proxy_token_refresh_failures_in_a_row") == "gauge");
}

TEST_CASE("counts recorded from several threads add up", "[metrics]") {
    metrics_registry m({"/a"});
    constexpr int per_thread = 10000;
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < per_thread; ++i) m.request_done(0, "GET", 200, 1ms, 1, 1);
            });
        }
    }
    auto e = parse(m.render({}));
    CHECK(e.sum("aic_proxy_requests_total", {{"route", "/a"}}) == 4 * per_thread);
    CHECK(e.sum("aic_proxy_request_duration_seconds_count", {{"route", "/a"}}) == 4 * per_thread);
}

TEST_CASE("a route keeps its slot by prefix, a prefix new after a reload gets a slot of its own",
          "[metrics]") {
    metrics_registry m({"/openidm"});
    CHECK(m.route_slot("/openidm") == 0);
    auto const am = m.route_slot("/am");
    CHECK(am == 1);
    CHECK(m.route_slot("/am") == am);
    m.request_done(m.route_slot("/openidm"), "GET", 200, 1ms, 0, 0);
    m.request_done(am, "GET", 200, 1ms, 0, 0);
    m.request_done(am, "GET", 200, 1ms, 0, 0);

    auto e = parse(m.render({}));
    CHECK(e.sum("aic_proxy_requests_total", {{"route", "/openidm"}}) == 1);
    CHECK(e.sum("aic_proxy_requests_total", {{"route", "/am"}}) == 2);
    // Slots no route holds yet are not rendered, neither is an empty "none".
    CHECK(e.sum("aic_proxy_request_duration_seconds_count") == 3);
    CHECK(m.render({}).find("route=\"none\"") == std::string::npos);

    // Past the spare slots a new prefix is counted as "none" rather than under another's label.
    for (std::size_t i = 0; i < metrics_registry::max_added_routes - 1; ++i)
        CHECK(m.route_slot("/r" + std::to_string(i)) != metrics_registry::no_route);
    auto const overflow = m.route_slot("/one-too-many");
    CHECK(overflow == metrics_registry::no_route);
    m.request_done(overflow, "GET", 200, 1ms, 0, 0);
    CHECK(parse(m.render({})).sum("aic_proxy_requests_total", {{"route", "none"}}) == 1);
}

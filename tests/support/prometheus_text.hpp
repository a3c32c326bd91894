// /_proxy/metrics read back as Prometheus text exposition (0.0.4): a strict-enough parser for
// tests, which fails the test on a line that is not HELP, TYPE or a well-formed sample.
#pragma once

#include <catch2/catch.hpp>

#include <cctype>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace aic::test {

struct sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct exposition {
    std::map<std::string, std::string> types;  // family -> counter|gauge|histogram|...
    std::set<std::string> helped;
    std::vector<sample> samples;

    std::vector<sample> find(std::string const& name,
                             std::map<std::string, std::string> const& want = {}) const {
        std::vector<sample> out;
        for (auto const& s : samples) {
            if (s.name != name) continue;
            bool match = true;
            for (auto const& [k, v] : want) {
                auto const it = s.labels.find(k);
                match = match && it != s.labels.end() && it->second == v;
            }
            if (match) out.push_back(s);
        }
        return out;
    }
    // The one sample with exactly these labels (a test failure otherwise).
    double value(std::string const& name, std::map<std::string, std::string> const& labels) const {
        for (auto const& s : samples) {
            if (s.name == name && s.labels == labels) return s.value;
        }
        FAIL("no sample " << name << " with the given labels");
        return 0;
    }
};

// The family a sample belongs to: histogram samples carry _bucket/_sum/_count suffixes.
inline std::string family_of(std::string const& name, std::map<std::string, std::string> const& types) {
    if (types.count(name)) return name;
    for (std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            auto const base = name.substr(0, name.size() - suffix.size());
            if (types.count(base)) return base;
        }
    }
    return {};
}

inline bool valid_metric_name(std::string const& n) {
    if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_' || n[0] == ':'))
        return false;
    for (char c : n) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
    }
    return true;
}

inline double parse_value(std::string const& text) {
    if (text == "+Inf") return std::numeric_limits<double>::infinity();
    std::size_t used = 0;
    double const v = std::stod(text, &used);
    REQUIRE(used == text.size());
    return v;
}

// A strict-enough parser: every line is HELP, TYPE or a sample; labels are name="escaped value";
// every sample belongs to a family whose TYPE came before it.
inline exposition parse(std::string const& text) {
    exposition e;
    REQUIRE(!text.empty());
    REQUIRE(text.back() == '\n');
    std::istringstream in{text};
    std::string line;
    while (std::getline(in, line)) {
        INFO("line: " << line);
        REQUIRE(!line.empty());
        if (line.rfind("# HELP ", 0) == 0) {
            auto const rest = line.substr(7);
            auto const space = rest.find(' ');
            REQUIRE(space != std::string::npos);
            REQUIRE(valid_metric_name(rest.substr(0, space)));
            e.helped.insert(rest.substr(0, space));
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream words{line.substr(7)};
            std::string name, type, extra;
            words >> name >> type;
            REQUIRE_FALSE(words >> extra);
            REQUIRE(valid_metric_name(name));
            REQUIRE((type == "counter" || type == "gauge" || type == "histogram" || type == "summary" ||
                     type == "untyped"));
            REQUIRE(e.types.count(name) == 0);  // one TYPE per family
            e.types[name] = type;
            continue;
        }
        REQUIRE(line[0] != '#');
        sample s;
        std::size_t p = 0;
        while (p < line.size() && line[p] != '{' && line[p] != ' ') ++p;
        s.name = line.substr(0, p);
        REQUIRE(valid_metric_name(s.name));
        if (p < line.size() && line[p] == '{') {
            ++p;
            while (line.at(p) != '}') {
                auto const eq = line.find('=', p);
                REQUIRE(eq != std::string::npos);
                auto const key = line.substr(p, eq - p);
                REQUIRE(valid_metric_name(key));
                REQUIRE(line.at(eq + 1) == '"');
                std::string value;
                std::size_t q = eq + 2;
                for (; line.at(q) != '"'; ++q) {
                    if (line[q] == '\\') {
                        char const next = line.at(++q);
                        REQUIRE((next == '\\' || next == '"' || next == 'n'));
                        value += next == 'n' ? '\n' : next;
                    } else {
                        value += line[q];
                    }
                }
                REQUIRE(s.labels.emplace(key, value).second);
                p = q + 1;
                if (line.at(p) == ',') ++p;
            }
            ++p;
        }
        REQUIRE(line.at(p) == ' ');
        s.value = parse_value(line.substr(p + 1));
        auto const family = family_of(s.name, e.types);
        REQUIRE(!family.empty());
        REQUIRE(e.helped.count(family) == 1);
        e.samples.push_back(std::move(s));
    }
    return e;
}

}  // namespace aic::test

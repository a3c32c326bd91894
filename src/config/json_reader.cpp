// Path-tracking JSON reads (see json_reader.hpp).
#include "config/json_reader.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cmath>

namespace aic::config::detail {
namespace {

// Levenshtein distance, to suggest the key a typo probably meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t const above = row[j];
            std::size_t const substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string suggestion(std::string_view key, std::initializer_list<std::string_view> allowed) {
    std::string_view best;
    std::size_t best_distance = 3;  // more than two edits away is not a typo
    for (auto candidate : allowed) {
        auto const d = edit_distance(key, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    if (best.empty()) return {};
    return " (did you mean \"" + std::string{best} + "\"?)";
}

// fmt, not std::to_chars: libstdc++'s floating-point to_chars is what links libm into aic-proxy.
std::string shortest(double d) {
    return fmt::format("{}", d);
}

}  // namespace

json_path json_path::derived(std::string dotted) const {
    json_path child{aliases_};
    child.dotted_ = std::move(dotted);
    child.alias_ = alias_;
    if (aliases_) {
        if (auto it = aliases_->find(child.dotted_); it != aliases_->end()) child.alias_ = it->second;
    }
    return child;
}

json_path json_path::key(std::string_view name) const {
    return derived(dotted_.empty() ? std::string{name} : dotted_ + "." + std::string{name});
}

json_path json_path::index(std::size_t i) const {
    return derived(dotted_ + "[" + std::to_string(i) + "]");
}

std::string json_path::text() const {
    if (!alias_.empty()) return alias_;
    return dotted_.empty() ? std::string{"<root>"} : dotted_;
}

void fail(json_path const& where, std::string_view what) {
    throw config_error("config: " + where.text() + ": " + std::string{what});
}

std::string_view kind_name(json::value const& v) {
    switch (v.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "boolean";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_: return "number";
        case json::kind::string: return "string";
        case json::kind::array: return "array";
        case json::kind::object: return "object";
    }
    return "value";
}

std::string as_string(json::value const& v, json_path const& where) {
    if (!v.is_string()) fail(where, "expected a string, got " + std::string{kind_name(v)});
    return std::string{v.get_string()};
}

json::array const& as_array(json::value const& v, json_path const& where) {
    if (!v.is_array()) fail(where, "expected an array, got " + std::string{kind_name(v)});
    return v.get_array();
}

object_reader::object_reader(json::value const& v, json_path path) : obj_(nullptr), path_(std::move(path)) {
    if (!v.is_object()) fail(path_, "expected an object, got " + std::string{kind_name(v)});
    obj_ = &v.get_object();
}

json::value const* object_reader::find(std::string_view key) const {
    return obj_->if_contains(key);
}

std::vector<std::string_view> object_reader::keys() const {
    std::vector<std::string_view> out;
    for (auto const& kv : *obj_) out.emplace_back(kv.key());
    return out;
}

void object_reader::allow_only(std::initializer_list<std::string_view> allowed, std::string_view what) const {
    for (auto const& kv : *obj_) {
        if (std::find(allowed.begin(), allowed.end(), kv.key()) != allowed.end()) continue;
        std::string message = "unknown key";
        if (!what.empty()) message += " " + std::string{what};
        fail(at(kv.key()), message + suggestion(kv.key(), allowed));
    }
}

std::string object_reader::required_string(std::string_view key) const {
    auto const* v = find(key);
    if (!v) fail(at(key), "missing required key");
    return as_string(*v, at(key));
}

std::optional<std::string> object_reader::optional_string(std::string_view key) const {
    auto const* v = find(key);
    if (!v) return std::nullopt;
    return as_string(*v, at(key));
}

std::optional<bool> object_reader::optional_bool(std::string_view key) const {
    auto const* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) fail(at(key), "expected true or false, got " + std::string{kind_name(*v)});
    return v->get_bool();
}

std::optional<std::uint64_t> object_reader::optional_integer(std::string_view key, std::uint64_t min,
                                                             std::uint64_t max) const {
    auto const* v = find(key);
    if (!v) return std::nullopt;
    auto const range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    std::uint64_t n = 0;
    if (v->is_uint64()) {
        n = v->get_uint64();
    } else if (v->is_int64() && v->get_int64() >= 0) {
        n = static_cast<std::uint64_t>(v->get_int64());
    } else if (v->is_int64()) {
        fail(at(key), "expected " + range + ", got a negative number");
    } else {
        fail(at(key), "expected " + range + ", got " +
                          (v->is_double() ? std::string{"a fraction"} : std::string{kind_name(*v)}));
    }
    if (n < min || n > max) fail(at(key), "expected " + range + ", got " + std::to_string(n));
    return n;
}

std::optional<double> object_reader::optional_number(std::string_view key, double min, double max) const {
    auto const* v = find(key);
    if (!v) return std::nullopt;
    auto const range = "a number from " + shortest(min) + " to " + shortest(max);
    if (!v->is_number()) fail(at(key), "expected " + range + ", got " + std::string{kind_name(*v)});
    double const d = v->to_number<double>();
    if (!std::isfinite(d) || d < min || d > max) fail(at(key), "expected " + range);
    return d;
}

std::optional<object_reader> object_reader::optional_object(std::string_view key) const {
    auto const* v = find(key);
    if (!v) return std::nullopt;
    return object_reader{*v, at(key)};
}

std::optional<std::vector<std::string>> object_reader::optional_string_array(std::string_view key) const {
    auto const* v = find(key);
    if (!v) return std::nullopt;
    auto const& arr = as_array(*v, at(key));
    std::vector<std::string> out;
    out.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) out.push_back(as_string(arr[i], at(key).index(i)));
    return out;
}

}  // namespace aic::config::detail

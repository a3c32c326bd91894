// metrics_registry: fixed arrays of relaxed atomics recorded on the hot path, rendered as Prometheus
// text exposition format 0.0.4 at scrape time.
#include "ops/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <memory>
#include <utility>

namespace aic::ops {

namespace {

// Method classes; anything else (extension methods, garbage) counts as "other" so a client cannot
// blow up the label cardinality.
constexpr std::array<std::string_view, 8> method_names{"GET",   "HEAD",   "POST",    "PUT",
                                                       "PATCH", "DELETE", "OPTIONS", "other"};
constexpr std::size_t method_count = method_names.size();

constexpr std::array<std::string_view, 5> status_names{"1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::size_t status_count = status_names.size();

// Upper bounds in seconds; kept in nanoseconds too so observing needs no floating point.
constexpr std::array<std::string_view, 11> bucket_labels{"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                                         "0.5",   "1",    "2.5",   "5",    "10"};
constexpr std::array<std::uint64_t, 11> bucket_bounds_ns{
    5'000'000,   10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000,
    500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
constexpr std::size_t bucket_count = bucket_bounds_ns.size() + 1;  // + the +Inf bucket

constexpr std::array<std::string_view, 5> error_kinds{"connect", "tls", "timeout", "io", "other"};

using counter = std::atomic<std::uint64_t>;

std::size_t method_index(std::string_view method) {
    for (std::size_t i = 0; i + 1 < method_count; ++i) {
        if (method == method_names[i]) return i;
    }
    return method_count - 1;
}

std::size_t status_index(unsigned status) {
    // A status outside 100..599 can only be a bug or a broken upstream; count it as a server error.
    if (status < 100 || status > 599) return status_count - 1;
    return status / 100 - 1;
}

std::size_t bucket_index(std::uint64_t ns) {
    for (std::size_t i = 0; i < bucket_bounds_ns.size(); ++i) {
        if (ns <= bucket_bounds_ns[i]) return i;
    }
    return bucket_count - 1;
}

struct route_stats {
    std::array<counter, method_count * status_count> requests{};
    std::array<counter, bucket_count> buckets{};  // not cumulative; summed at render time
    counter duration_ns{0};
    counter count{0};
    counter bytes_in{0};
    counter bytes_out{0};
};

void append_escaped_label(std::string& out, std::string_view value) {
    for (char c : value) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
}

void append_uint(std::string& out, std::uint64_t v) {
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    (void)ec;
    out.append(buf.data(), end);
}

// Shortest round-trip form, as std::to_chars would give; fmt's, because libstdc++'s floating-point
// to_chars is what links libm into aic-proxy.
void append_double(std::string& out, double v) {
    fmt::format_to(std::back_inserter(out), "{}", v);
}

void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

// Builds `name{k1="v1",k2="v2"} ` ready for the value.
class sample {
public:
    sample(std::string& out, std::string_view name) : out_(out) { out_ += name; }
    sample& label(std::string_view key, std::string_view value) {
        out_ += first_ ? '{' : ',';
        first_ = false;
        out_ += key;
        out_ += "=\"";
        append_escaped_label(out_, value);
        out_ += '"';
        return *this;
    }
    void value(std::uint64_t v) {
        finish();
        append_uint(out_, v);
        out_ += '\n';
    }
    void value(double v) {
        finish();
        append_double(out_, v);
        out_ += '\n';
    }

private:
    void finish() {
        if (!first_) out_ += '}';
        out_ += ' ';
    }
    std::string& out_;
    bool first_ = true;
};

// Every token series is keyed by the cache it describes: (credential, scope set).
sample token_sample(std::string& out, std::string_view name, token_gauge const& t) {
    sample s{out, name};
    s.label("credential", t.credential).label("scopes", t.scopes);
    return s;
}

}  // namespace

struct metrics_registry::impl {
    impl(std::vector<std::string> r, std::size_t loops)
        : routes(std::move(r)),
          stats(routes.size() + metrics_registry::max_added_routes + 1),
          accepted(std::max<std::size_t>(loops, 1)) {}

    // The label of each slot in use; only the rendering loop reads or grows it (route_slot).
    std::vector<std::string> routes;
    // One per slot a route may get, and the last for "none" (no_route). Sized once here and never
    // resized, so event loops count into it while route_slot hands out slots, with no lock.
    std::vector<route_stats> stats;
    std::array<counter, error_kinds.size()> upstream_errors{};
    counter upstream_connections{0};
    counter upstream_connections_resumed{0};
    std::atomic<std::int64_t> active_connections{0};
    std::vector<counter> accepted;  // per event loop: how evenly the kernel spreads connections

    route_stats& for_route(std::size_t index) {
        return index < stats.size() - 1 ? stats[index] : stats.back();
    }
    std::string_view route_name(std::size_t index) const {
        return index < routes.size() ? std::string_view(routes[index]) : std::string_view("none");
    }
};

metrics_registry::metrics_registry(std::vector<std::string> routes, std::size_t loops)
    : impl_(new impl(std::move(routes), loops)) {}

metrics_registry::~metrics_registry() {
    delete impl_;
}

void metrics_registry::request_done(std::size_t route_index, std::string_view method, unsigned status,
                                    std::chrono::nanoseconds duration, std::uint64_t bytes_in,
                                    std::uint64_t bytes_out) {
    auto& s = impl_->for_route(route_index);
    s.requests[method_index(method) * status_count + status_index(status)].fetch_add(
        1, std::memory_order_relaxed);
    auto const ns = duration.count() > 0 ? static_cast<std::uint64_t>(duration.count()) : std::uint64_t{0};
    s.buckets[bucket_index(ns)].fetch_add(1, std::memory_order_relaxed);
    s.duration_ns.fetch_add(ns, std::memory_order_relaxed);
    s.count.fetch_add(1, std::memory_order_relaxed);
    s.bytes_in.fetch_add(bytes_in, std::memory_order_relaxed);
    s.bytes_out.fetch_add(bytes_out, std::memory_order_relaxed);
}

std::size_t metrics_registry::route_slot(std::string_view prefix) {
    auto& routes = impl_->routes;
    auto const it = std::find(routes.begin(), routes.end(), prefix);
    if (it != routes.end()) return static_cast<std::size_t>(it - routes.begin());
    if (routes.size() + 1 >= impl_->stats.size()) return no_route;
    routes.emplace_back(prefix);
    return routes.size() - 1;
}

void metrics_registry::upstream_error(std::string_view kind) {
    std::size_t i = 0;
    while (i + 1 < error_kinds.size() && error_kinds[i] != kind) ++i;
    impl_->upstream_errors[i].fetch_add(1, std::memory_order_relaxed);
}

void metrics_registry::upstream_connection_opened(bool resumed_tls_session) {
    impl_->upstream_connections.fetch_add(1, std::memory_order_relaxed);
    if (resumed_tls_session) impl_->upstream_connections_resumed.fetch_add(1, std::memory_order_relaxed);
}

void metrics_registry::connection_opened(std::size_t loop) {
    impl_->active_connections.fetch_add(1, std::memory_order_relaxed);
    impl_->accepted[loop < impl_->accepted.size() ? loop : 0].fetch_add(1, std::memory_order_relaxed);
}

void metrics_registry::connection_closed() {
    impl_->active_connections.fetch_sub(1, std::memory_order_relaxed);
}

std::string metrics_registry::render(std::vector<token_gauge> const& tokens) const {
    std::string out;
    out.reserve(4096);
    // The slots with a label, in the order they got it, then "none".
    auto const none = impl_->stats.size() - 1;
    std::vector<std::size_t> slots(impl_->routes.size());
    for (std::size_t r = 0; r < slots.size(); ++r) slots[r] = r;
    slots.push_back(none);

    append_header(out, "aic_proxy_requests_total", "counter",
                  "Requests answered, by route, method and status class.");
    for (std::size_t const r : slots) {
        auto const& s = impl_->stats[r];
        for (std::size_t m = 0; m < method_count; ++m) {
            for (std::size_t c = 0; c < status_count; ++c) {
                auto const v = s.requests[m * status_count + c].load(std::memory_order_relaxed);
                // Only combinations that happened: 8 x 5 zero series per route would drown the scrape.
                if (v == 0) continue;
                sample(out, "aic_proxy_requests_total")
                    .label("route", impl_->route_name(r))
                    .label("method", method_names[m])
                    .label("code", status_names[c])
                    .value(v);
            }
        }
    }

    append_header(out, "aic_proxy_request_duration_seconds", "histogram",
                  "Time from request head received to response complete.");
    for (std::size_t const r : slots) {
        auto const& s = impl_->stats[r];
        // Buckets are read before the count so a concurrent request cannot make +Inf exceed _count
        // by more than what is in flight; Prometheus tolerates that skew.
        std::array<std::uint64_t, bucket_count> b{};
        for (std::size_t i = 0; i < bucket_count; ++i) b[i] = s.buckets[i].load(std::memory_order_relaxed);
        auto const sum_ns = s.duration_ns.load(std::memory_order_relaxed);
        std::uint64_t total = 0;
        for (auto v : b) total += v;
        if (r == none && total == 0) continue;
        auto const name = impl_->route_name(r);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            cumulative += b[i];
            sample(out, "aic_proxy_request_duration_seconds_bucket")
                .label("route", name)
                .label("le", i < bucket_labels.size() ? bucket_labels[i] : std::string_view("+Inf"))
                .value(cumulative);
        }
        sample(out, "aic_proxy_request_duration_seconds_sum")
            .label("route", name)
            .value(static_cast<double>(sum_ns) / 1e9);
        // _count equals the +Inf bucket by construction, as the format requires.
        sample(out, "aic_proxy_request_duration_seconds_count").label("route", name).value(total);
    }

    append_header(out, "aic_proxy_request_bytes_total", "counter",
                  "Body bytes relayed, by route and direction (in = from the client).");
    for (std::size_t const r : slots) {
        auto const& s = impl_->stats[r];
        auto const in = s.bytes_in.load(std::memory_order_relaxed);
        auto const outb = s.bytes_out.load(std::memory_order_relaxed);
        if (r == none && in == 0 && outb == 0) continue;
        sample(out, "aic_proxy_request_bytes_total")
            .label("route", impl_->route_name(r))
            .label("direction", "in")
            .value(in);
        sample(out, "aic_proxy_request_bytes_total")
            .label("route", impl_->route_name(r))
            .label("direction", "out")
            .value(outb);
    }

    append_header(out, "aic_proxy_upstream_errors_total", "counter", "Failed upstream exchanges, by kind.");
    for (std::size_t i = 0; i < error_kinds.size(); ++i) {
        sample(out, "aic_proxy_upstream_errors_total")
            .label("kind", error_kinds[i])
            .value(impl_->upstream_errors[i].load(std::memory_order_relaxed));
    }

    append_header(out, "aic_proxy_upstream_connections_opened_total", "counter",
                  "Upstream TLS connections opened (pool misses).");
    sample(out, "aic_proxy_upstream_connections_opened_total")
        .value(impl_->upstream_connections.load(std::memory_order_relaxed));
    append_header(out, "aic_proxy_upstream_connections_resumed_total", "counter",
                  "Upstream TLS connections opened by resuming a session (no certificate exchanged).");
    sample(out, "aic_proxy_upstream_connections_resumed_total")
        .value(impl_->upstream_connections_resumed.load(std::memory_order_relaxed));

    append_header(out, "aic_proxy_active_connections", "gauge", "Client connections currently open.");
    auto const active = impl_->active_connections.load(std::memory_order_relaxed);
    sample(out, "aic_proxy_active_connections").value(static_cast<std::uint64_t>(active > 0 ? active : 0));

    append_header(out, "aic_proxy_connections_accepted_total", "counter",
                  "Client connections accepted, by event loop (config: threads).");
    for (std::size_t i = 0; i < impl_->accepted.size(); ++i) {
        std::array<char, 24> loop{};
        auto const end = std::to_chars(loop.data(), loop.data() + loop.size(), i).ptr;
        sample(out, "aic_proxy_connections_accepted_total")
            .label("loop", std::string_view(loop.data(), static_cast<std::size_t>(end - loop.data())))
            .value(impl_->accepted[i].load(std::memory_order_relaxed));
    }

    append_header(out, "aic_proxy_token_fetches_total", "counter",
                  "Token endpoint exchanges, by credential, scope set and result.");
    for (auto const& t : tokens) {
        token_sample(out, "aic_proxy_token_fetches_total", t).label("result", "ok").value(t.fetches_ok);
        token_sample(out, "aic_proxy_token_fetches_total", t)
            .label("result", "error")
            .value(t.fetches_failed);
    }

    append_header(out, "aic_proxy_token_expiry_seconds", "gauge",
                  "Seconds until the cached token expires (0 when there is no valid token).");
    for (auto const& t : tokens) {
        token_sample(out, "aic_proxy_token_expiry_seconds", t)
            .value(t.seconds_to_expiry > 0 ? t.seconds_to_expiry : 0.0);
    }

    append_header(out, "aic_proxy_token_refresh_failures_in_a_row", "gauge",
                  "Consecutive failed token fetches since the last success.");
    for (auto const& t : tokens) {
        token_sample(out, "aic_proxy_token_refresh_failures_in_a_row", t).value(t.consecutive_failures);
    }

    append_header(out, "aic_proxy_token_waits_total", "counter",
                  "Requests that had to wait for a token fetch.");
    for (auto const& t : tokens) {
        token_sample(out, "aic_proxy_token_waits_total", t).value(t.requests_waited);
    }
    return out;
}

}  // namespace aic::ops

// setup_logging(): both loggers write through one redacting sink, so no log line can reach the
// output without passing redact().
#include "ops/logging.hpp"

#include "ops/log_internal.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

namespace aic::ops {

namespace {

constexpr char const* time_pattern = "%Y-%m-%dT%H:%M:%S.%eZ";
constexpr char const* text_pattern = "%Y-%m-%dT%H:%M:%S.%eZ %l %n: %v";
constexpr std::string_view access_logger_name = "access";

std::string_view to_sv(spdlog::string_view_t v) {
    return {v.data(), v.size()};
}
void append(spdlog::memory_buf_t& dest, std::string_view s) {
    dest.append(s.data(), s.data() + s.size());
}

// {"time":..,"level":..,"logger":..,"msg":..}; an access record (a JSON object built by
// log_access) is spliced in as fields instead of being quoted as a string.
class json_formatter final : public spdlog::formatter {
public:
    json_formatter() : time_(time_pattern, spdlog::pattern_time_type::utc, "") {}

    void format(spdlog::details::log_msg const& msg, spdlog::memory_buf_t& dest) override {
        append(dest, R"({"time":")");
        time_.format(msg, dest);
        append(dest, R"(","level":")");
        auto const level = spdlog::level::to_string_view(msg.level);
        dest.append(level.data(), level.data() + level.size());
        append(dest, R"(","logger":")");
        detail::append_json_escaped(dest, to_sv(msg.logger_name));
        auto const payload = to_sv(msg.payload);
        if (to_sv(msg.logger_name) == access_logger_name && payload.size() >= 2 && payload.front() == '{' &&
            payload.back() == '}') {
            append(dest, R"(",)");
            dest.append(payload.data() + 1, payload.data() + payload.size());
        } else {
            append(dest, R"(","msg":")");
            detail::append_json_escaped(dest, payload);
            append(dest, R"("})");
        }
    }

    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<json_formatter>(); }

private:
    spdlog::pattern_formatter time_;
};

// Decorator: redacts the message, formats the whole line with its own formatter, and hands the
// finished line to the wrapped sink (whose pattern is "%v").
class redacting_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    redacting_sink(spdlog::sink_ptr inner, std::unique_ptr<spdlog::formatter> formatter)
        : base_sink(std::move(formatter)), inner_(std::move(inner)) {}

protected:
    void sink_it_(spdlog::details::log_msg const& msg) override {
        // Redact before formatting: JSON escaping could otherwise split a secret's shape.
        auto const clean = redact(to_sv(msg.payload));
        spdlog::details::log_msg redacted = msg;
        redacted.payload = spdlog::string_view_t(clean.data(), clean.size());
        spdlog::memory_buf_t line;
        formatter_->format(redacted, line);
        spdlog::details::log_msg out = msg;
        out.payload = spdlog::string_view_t(line.data(), line.size());
        inner_->log(out);
    }

    void flush_() override { inner_->flush(); }

    // The format is fixed by the configuration; a later spdlog::set_pattern() must not change the
    // inner sink's "%v" into something that formats (and so bypasses) the raw payload.
    void set_pattern_(std::string const&) override {}
    void set_formatter_(std::unique_ptr<spdlog::formatter>) override {}

private:
    spdlog::sink_ptr inner_;
};

}  // namespace

void setup_logging(config::logging_settings const& settings, spdlog::sink_ptr sink) {
    bool const json = settings.fmt == config::logging_settings::format::json;
    if (!sink) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_pattern("%v");

    std::unique_ptr<spdlog::formatter> formatter;
    if (json) {
        formatter = std::make_unique<json_formatter>();
    } else {
        formatter =
            std::make_unique<spdlog::pattern_formatter>(text_pattern, spdlog::pattern_time_type::utc, "");
    }
    auto const redacting = std::make_shared<redacting_sink>(std::move(sink), std::move(formatter));
    auto const level = spdlog::level::from_str(settings.level);

    auto main_logger = std::make_shared<spdlog::logger>("aic-proxy", redacting);
    spdlog::set_default_logger(main_logger);
    main_logger->set_level(level);
    main_logger->flush_on(spdlog::level::warn);

    // Called again on SIGHUP: replace, never duplicate, the access logger.
    spdlog::drop(std::string(access_logger_name));
    if (settings.access_log) {
        auto access = std::make_shared<spdlog::logger>(std::string(access_logger_name), redacting);
        spdlog::register_logger(access);
        access->set_level(level);
        detail::set_access_logger(std::move(access), json);
    } else {
        detail::set_access_logger(nullptr, json);
    }
}

}  // namespace aic::ops

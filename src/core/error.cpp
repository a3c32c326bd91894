// The aic error category: names and messages for aic::errc.
#include "core/error.hpp"

#include <string>

namespace aic {
namespace {

class category_impl final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "aic"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::deadline_exceeded: return "deadline exceeded";
            case errc::response_too_large: return "response too large";
            case errc::token_endpoint_error: return "token endpoint refused the request";
            case errc::token_response_malformed: return "token endpoint response malformed";
            case errc::refresh_abandoned: return "token fetch abandoned";
            case errc::no_token: return "no valid token available";
            case errc::bad_url: return "bad URL";
            case errc::key_invalid: return "private key invalid";
        }
        return "unknown aic error";
    }
};

}  // namespace

boost::system::error_category const& aic_category() noexcept {
    static category_impl const instance;
    return instance;
}

}  // namespace aic

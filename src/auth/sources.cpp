#include "auth/sources.hpp"

#include "auth/form.hpp"
#include "auth/jwt.hpp"
#include "auth/token_request.hpp"
#include "core/base64.hpp"

namespace aic::auth {
namespace {

std::string join_scopes(std::vector<std::string> const& scopes) {
    std::string out;
    for (auto const& s : scopes) {
        if (!out.empty()) out += ' ';
        out += s;
    }
    return out;
}

class service_account_source final : public token_source {
public:
    service_account_source(ssl::context& tls, config::credential const& c, private_key key,
                           std::chrono::seconds life, net_tls::exchange_limits limits)
        : tls_(tls),
          name_(c.name),
          account_id_(c.account_id),
          endpoint_(c.token_endpoint),
          audience_(c.token_endpoint.with_explicit_port()),
          key_(std::move(key)),
          assertion_lifetime_(life),
          limits_(limits) {}

    net::awaitable<token_result> fetch(std::vector<std::string> scopes) override {
        token_request request{name_, endpoint_, {}, std::nullopt, scopes};
        try {
            secret const assertion = make_assertion(key_.get(), account_id_, audience_, assertion_lifetime_);
            request.form = secret(form_body({{"client_id", "service-account"},
                                             {"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                                             {"assertion", assertion.reveal()},
                                             {"scope", join_scopes(scopes)}}));
        } catch (key_error const& e) {
            co_return token_error{name_, endpoint_.text(), 0, "key", e.what()};
        }
        co_return co_await request_token(tls_, std::move(request), limits_);
    }
    std::string const& credential_name() const noexcept override { return name_; }
    https_url const& endpoint() const noexcept override { return endpoint_; }

private:
    ssl::context& tls_;
    std::string name_;
    std::string account_id_;
    https_url endpoint_;
    std::string audience_;
    private_key key_;
    std::chrono::seconds assertion_lifetime_;
    net_tls::exchange_limits limits_;
};

class client_credentials_source final : public token_source {
public:
    client_credentials_source(ssl::context& tls, config::credential const& c, net_tls::exchange_limits limits)
        : tls_(tls),
          name_(c.name),
          client_id_(c.client_id),
          secret_(c.client_secret),
          method_(c.auth_method),
          endpoint_(c.token_endpoint),
          limits_(limits) {}

    net::awaitable<token_result> fetch(std::vector<std::string> scopes) override {
        token_request request{name_, endpoint_, {}, std::nullopt, scopes};
        if (method_ == config::client_auth_method::basic) {
            request.authorization = basic_authorization(client_id_, secret_.reveal());
            request.form =
                secret(form_body({{"grant_type", "client_credentials"}, {"scope", join_scopes(scopes)}}));
        } else {
            request.form = secret(form_body({{"grant_type", "client_credentials"},
                                             {"client_id", client_id_},
                                             {"client_secret", secret_.reveal()},
                                             {"scope", join_scopes(scopes)}}));
        }
        co_return co_await request_token(tls_, std::move(request), limits_);
    }
    std::string const& credential_name() const noexcept override { return name_; }
    https_url const& endpoint() const noexcept override { return endpoint_; }

private:
    ssl::context& tls_;
    std::string name_;
    std::string client_id_;
    secret secret_;
    config::client_auth_method method_;
    https_url endpoint_;
    net_tls::exchange_limits limits_;
};

}  // namespace

secret basic_authorization(std::string_view client_id, std::string_view client_secret) {
    secret const pair(form_encode(client_id) + ":" + form_encode(client_secret));
    return secret("Basic " + base64_encode(pair.reveal()));
}

std::unique_ptr<token_source> make_service_account_source(ssl::context& tls,
                                                          config::credential const& credential,
                                                          private_key key,
                                                          std::chrono::seconds assertion_lifetime,
                                                          net_tls::exchange_limits limits) {
    return std::make_unique<service_account_source>(tls, credential, std::move(key), assertion_lifetime,
                                                    limits);
}

std::unique_ptr<token_source> make_client_credentials_source(ssl::context& tls,
                                                             config::credential const& credential,
                                                             net_tls::exchange_limits limits) {
    return std::make_unique<client_credentials_source>(tls, credential, limits);
}

}  // namespace aic::auth

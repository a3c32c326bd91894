// Chooses the authenticator for a credential type and wires its source.
#include "auth/factory.hpp"

#include "auth/sources.hpp"
#include "auth/token_cache.hpp"

#include <stdexcept>

namespace aic::auth {
namespace {

// The log API's key pair: nothing to fetch or refresh, the same headers on every request.
class static_key_authenticator final : public authenticator {
public:
    explicit static_key_authenticator(config::credential const& c) : name_(c.name) {
        auto headers = std::make_shared<injected_headers>();
        // A key or secret with a line break in it is left out: the log API then refuses the
        // request, which is where an operator looks.
        headers->add("X-API-Key", secret(c.key_id));
        headers->add("X-API-Secret", c.api_secret);
        headers_ = std::move(headers);
    }
    net::awaitable<grant_result> acquire() override { co_return grant{nullptr, headers_}; }
    std::optional<grant> try_acquire() override { return grant{nullptr, headers_}; }
    // Nothing to replace: the key stays, and the replay would be refused alike.
    rejection reject(std::shared_ptr<access_token const> const&) override { return rejection::kept; }
    auth_status status() const override {
        auth_status s;
        s.credential = name_;
        s.current = auth_status::state::static_key;
        return s;
    }
    void start() override {}
    void stop() override {}

private:
    std::string name_;
    std::shared_ptr<injected_headers const> headers_;
};

}  // namespace

std::shared_ptr<authenticator> make_authenticator(net::any_io_executor ex, ssl::context& tls,
                                                  config::credential const& credential,
                                                  std::vector<std::string> scopes,
                                                  config::token_settings const& tokens,
                                                  config::timeouts const& timeouts) {
    net_tls::exchange_limits const limits{
        {timeouts.connect, timeouts.tls_handshake}, timeouts.token_request, 1 << 20};
    std::unique_ptr<token_source> source;
    switch (credential.type) {
        case config::credential_type::api_key: return std::make_shared<static_key_authenticator>(credential);
        case config::credential_type::service_account: {
            private_key key;
            try {
                key = load_private_key(credential.key_material.reveal());
            } catch (key_error const& e) {
                throw std::runtime_error("credentials." + credential.name + ": key not usable: " + e.what());
            }
            source = make_service_account_source(tls, credential, std::move(key), tokens.assertion_lifetime,
                                                 limits);
            break;
        }
        case config::credential_type::client_credentials:
            source = make_client_credentials_source(tls, credential, limits);
            break;
    }
    return std::make_shared<token_cache>(std::move(ex), std::move(source), std::move(scopes), tokens,
                                         timeouts.token_wait);
}

}  // namespace aic::auth

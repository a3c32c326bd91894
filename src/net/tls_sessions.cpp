// One store per client context, shared by every event loop: sessions arrive and are offered only
// when a connection opens, so one mutex costs nothing a request would notice. The store holds
// copies that no connection uses: sessions go in and come out copied.
#include "net/tls_sessions.hpp"

#include <openssl/ssl.h>

#include <ctime>
#include <map>
#include <mutex>
#include <string>

namespace aic::net_tls {
namespace {

// The upstreams a config names (routes and token endpoints) are few; the bound only keeps a
// run of reloads naming ever new hosts from growing the store without end.
constexpr std::size_t max_upstreams = 1024;

struct session_store {
    std::mutex mutex;
    std::map<std::string, SSL_SESSION*, std::less<>> sessions;  // one reference held per entry

    session_store() = default;
    session_store(session_store const&) = delete;
    session_store& operator=(session_store const&) = delete;
    ~session_store() {
        for (auto const& [key, session] : sessions) SSL_SESSION_free(session);
    }
};

void free_store(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
    delete static_cast<session_store*>(ptr);
}

void free_key(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
    delete static_cast<std::string*>(ptr);
}

// The store hangs off the SSL_CTX, the upstream's key off each SSL, so both go when their owner does.
int store_index() {
    static int const index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_store);
    return index;
}

int key_index() {
    static int const index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_key);
    return index;
}

session_store* store_of(SSL_CTX* ctx) {
    return static_cast<session_store*>(SSL_CTX_get_ex_data(ctx, store_index()));
}

bool expired(SSL_SESSION const* session) {
    return SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session) <= std::time(nullptr);
}

// OpenSSL calls this when a connection has a session worth keeping: at the end of a TLS 1.2
// handshake, or when a TLS 1.3 NewSessionTicket arrives after it. A copy is kept, not the
// connection's own session: OpenSSL marks that one not resumable when the connection is freed
// without a close_notify sent, which is how the pool lets most connections go.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto const* key = static_cast<std::string const*>(SSL_get_ex_data(ssl, key_index()));
    session_store* store = store_of(SSL_get_SSL_CTX(ssl));
    if (key == nullptr || store == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
    SSL_SESSION* const copy = SSL_SESSION_dup(session);
    if (copy == nullptr) return 0;
    SSL_SESSION* replaced = copy;  // freed below: the old entry's, or the copy if not kept
    {
        std::lock_guard lock{store->mutex};
        if (auto it = store->sessions.find(*key); it != store->sessions.end())
            std::swap(replaced, it->second);
        else if (store->sessions.size() < max_upstreams) {
            store->sessions.emplace(*key, copy);
            replaced = nullptr;
        }
    }
    if (replaced != nullptr) SSL_SESSION_free(replaced);
    return 0;  // OpenSSL keeps and frees its own reference
}

}  // namespace

void enable_session_resumption(ssl::context& ctx) {
    SSL_CTX* const native = ctx.native_handle();
    if (store_of(native) != nullptr) return;
    auto* store = new session_store;
    if (SSL_CTX_set_ex_data(native, store_index(), store) != 1) {
        delete store;
        return;  // no resumption: every connection does a full handshake, as it would anyway
    }
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(native, on_new_session);
}

void offer_session(SSL* ssl, std::string const& upstream_key) {
    session_store* store = store_of(SSL_get_SSL_CTX(ssl));
    if (store == nullptr) return;
    auto* const previous = static_cast<std::string*>(SSL_get_ex_data(ssl, key_index()));
    auto* const key = new std::string(upstream_key);
    if (SSL_set_ex_data(ssl, key_index(), key) != 1) {
        delete key;  // the previous key, if any, stays and is freed with the SSL
        return;
    }
    delete previous;
    SSL_SESSION* session = nullptr;
    {
        std::lock_guard lock{store->mutex};
        auto it = store->sessions.find(upstream_key);
        if (it == store->sessions.end()) return;
        if (expired(it->second)) {
            SSL_SESSION_free(it->second);
            store->sessions.erase(it);
            return;
        }
        // Each connection gets a copy of its own. A connection writes to its session (OpenSSL
        // marks it not resumable when the connection ends without close_notify), and the event
        // loops open connections on threads of their own: the kept session is never handed to
        // one, so nothing writes it while another thread reads it.
        session = SSL_SESSION_dup(it->second);
    }
    if (session == nullptr) return;
    SSL_set_session(ssl, session);  // takes a reference of its own
    SSL_SESSION_free(session);
}

bool session_resumed(SSL const* ssl) noexcept {
    return SSL_session_reused(ssl) == 1;
}

}  // namespace aic::net_tls

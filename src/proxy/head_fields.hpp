// The header container of the request heads the proxy relays, allocated from per-thread free
// lists (the response's fields are stored flat: response_parser.hpp). Beast's basic_fields
// allocates every field as a block of its own, blocks of the same few sizes each time.
// Each event loop is one thread and a head lives within one request, so a per-thread list of
// recently freed blocks serves them with no malloc and no lock.
#pragma once

#include "core/net.hpp"

#include <cstddef>

namespace aic::proxy {

namespace detail {
void* pooled_allocate(std::size_t bytes);
void pooled_deallocate(void* p, std::size_t bytes) noexcept;
}  // namespace detail

// Stateless, so Beast's parsers default-construct it; any instance frees what another allocated.
template <class T>
struct pooled_allocator {
    using value_type = T;

    pooled_allocator() noexcept = default;
    template <class U>
    pooled_allocator(pooled_allocator<U> const&) noexcept {}

    T* allocate(std::size_t n) { return static_cast<T*>(detail::pooled_allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { detail::pooled_deallocate(p, n * sizeof(T)); }

    template <class U>
    bool operator==(pooled_allocator<U> const&) const noexcept {
        return true;
    }
};

using head_fields = http::basic_fields<pooled_allocator<char>>;
using request_head = http::request_header<head_fields>;
using request_head_parser = http::request_parser<http::buffer_body, pooled_allocator<char>>;

}  // namespace aic::proxy

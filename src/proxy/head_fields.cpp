// Per-thread free lists for pooled_allocator (see head_fields.hpp).
#include "proxy/head_fields.hpp"

#include <array>
#include <new>

namespace aic::proxy::detail {
namespace {

constexpr std::size_t granule = 64;          // size classes: 64, 128, ... bytes
constexpr std::size_t class_count = 16;      // larger blocks (a 2 KiB cookie) go to operator new
constexpr std::size_t kept_per_class = 512;  // what a burst of many heads may leave behind

struct free_block {
    free_block* next;
};

class free_lists {
public:
    free_lists() = default;
    free_lists(free_lists const&) = delete;
    free_lists& operator=(free_lists const&) = delete;
    ~free_lists() {
        for (auto* head : heads_) {
            while (head != nullptr) {
                auto* next = head->next;
                ::operator delete(head);
                head = next;
            }
        }
    }

    void* take(std::size_t c) {
        auto*& head = heads_[c];
        if (head == nullptr) return ::operator new((c + 1) * granule);
        auto* block = head;
        head = block->next;
        --counts_[c];
        return block;
    }

    void give(void* p, std::size_t c) noexcept {
        if (counts_[c] == kept_per_class) {
            ::operator delete(p);
            return;
        }
        heads_[c] = new (p) free_block{heads_[c]};
        ++counts_[c];
    }

private:
    std::array<free_block*, class_count> heads_{};
    std::array<std::size_t, class_count> counts_{};
};

thread_local free_lists lists;

std::size_t class_of(std::size_t bytes) noexcept {
    return bytes == 0 ? 0 : (bytes - 1) / granule;
}

}  // namespace

void* pooled_allocate(std::size_t bytes) {
    std::size_t const c = class_of(bytes);
    if (c >= class_count) return ::operator new(bytes);
    return lists.take(c);
}

void pooled_deallocate(void* p, std::size_t bytes) noexcept {
    if (p == nullptr) return;
    std::size_t const c = class_of(bytes);
    if (c >= class_count) {
        ::operator delete(p);
        return;
    }
    lists.give(p, c);
}

}  // namespace aic::proxy::detail

// Runs a callable when the scope ends, also on exception (C++20's library has none).
#pragma once

#include <utility>

namespace aic {

template <class F>
class scope_exit {
public:
    explicit scope_exit(F f) : f_(std::move(f)) {}
    scope_exit(scope_exit const&) = delete;
    scope_exit& operator=(scope_exit const&) = delete;
    ~scope_exit() { f_(); }

private:
    F f_;
};

}  // namespace aic

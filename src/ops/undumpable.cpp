// make_undumpable(): one prctl (see undumpable.hpp).
#include "ops/undumpable.hpp"

#include <sys/prctl.h>

namespace aic::ops {

bool make_undumpable() noexcept {
    return ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
}

}  // namespace aic::ops

// make_undumpable() in a child process (it cannot be undone in the test runner itself): the child
// reports what PR_GET_DUMPABLE says before and after through its exit code.
#include "ops/undumpable.hpp"

#include <catch2/catch.hpp>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("make_undumpable: the process is no longer dumpable (no core, no same-user ptrace)",
          "[undumpable]") {
    pid_t const child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int const before = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        bool const ok = aic::ops::make_undumpable();
        int const after = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        ::_exit(before == 1 && ok && after == 0 ? 0 : 10 + before * 3 + after);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

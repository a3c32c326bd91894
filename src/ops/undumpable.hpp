// Keeps the process's memory (tokens, the service account's key, client secrets) from other
// processes of the same user and from core files.
#pragma once

namespace aic::ops {

// prctl(PR_SET_DUMPABLE, 0): no core dump, and ptrace, /proc/PID/mem and /proc/PID/environ are
// refused to everyone without CAP_SYS_PTRACE, the same user included. Root can still debug.
// Returns false when the kernel refuses (the process then runs as before).
bool make_undumpable() noexcept;

}  // namespace aic::ops

#include "common/stack.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace mlkube {

void ReleaseUnusedStack() {
  pthread_attr_t attr;
  if (::pthread_getattr_np(::pthread_self(), &attr) != 0) return;
  void* base = nullptr;
  size_t size = 0;
  const bool known = ::pthread_attr_getstack(&attr, &base, &size) == 0;
  ::pthread_attr_destroy(&attr);
  if (!known || base == nullptr) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  volatile char here = 0;
  // The stack grows down from base + size. What lies below this frame, less a margin for the
  // calls made from here on (madvise itself, signal handlers), is unused.
  constexpr uintptr_t kMargin = 4 * 1024;
  const uintptr_t low = (reinterpret_cast<uintptr_t>(base) + page - 1) & ~(page - 1);
  const uintptr_t sp = reinterpret_cast<uintptr_t>(&here);
  if (sp < low + kMargin + page) return;
  const uintptr_t high = (sp - kMargin) & ~(page - 1);
  if (high > low) ::madvise(reinterpret_cast<void*>(low), high - low, MADV_DONTNEED);
}

}  // namespace mlkube

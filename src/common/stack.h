#pragma once
// Gives the kernel back the pages of the calling thread's stack below the frames in use.
// A thread touches its stack as deep as its deepest call (a JSON parse, a TLS handshake) and
// keeps those pages for life; a node agent has a thread per pod, idle most of the time, and
// glibc keeps the stacks of finished threads for reuse, pages and all. Threads call this
// before a long wait and before they end.
// Thread-safety: acts on the calling thread only.

namespace mlkube {

void ReleaseUnusedStack();

}  // namespace mlkube

// heap.h - the process heap's figures and giving its free pages back.
//
// glibc keeps memory a program frees in its arenas (one per thread that
// allocates, up to 8 per core) and returns to the kernel only the top of
// each; the pages of large transient structures freed in the middle (a
// store's rows read at start, an index copy replaced by its rebuild) stay
// resident until malloc_trim(0) gives them back (madvise, the addresses
// stay reserved). The gallery calls ReturnFreeHeap() after such work.
//
// THREAD SAFETY
//   Both are safe from any thread; ReturnFreeHeap() holds each arena's lock
//   while it walks it (other threads' allocations wait meanwhile, typically
//   milliseconds per 100 MB of free heap).
#pragma once

#include <cstddef>

namespace facekit {

struct HeapFigures {
  std::size_t in_use_bytes = 0;  ///< allocated and not freed (mallinfo2 uordblks + hblkhd)
  std::size_t free_bytes = 0;    ///< freed but kept by the allocator (fordblks)
};
HeapFigures ReadHeapFigures();

/// Gives the free pages of every arena back to the kernel (malloc_trim(0)).
void ReturnFreeHeap();

}  // namespace facekit

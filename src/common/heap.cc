#include "common/heap.h"

#include <malloc.h>

namespace facekit {

HeapFigures ReadHeapFigures() {
  const struct mallinfo2 m = ::mallinfo2();
  return {m.uordblks + m.hblkhd, m.fordblks};
}

void ReturnFreeHeap() { ::malloc_trim(0); }

}  // namespace facekit

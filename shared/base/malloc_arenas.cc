#include "shared/base/malloc_arenas.h"

#include <malloc.h>

namespace evermirror::base {

void LimitMallocArenas(int arenas, bool operator_set) {
#if defined(__GLIBC__)
  if (!operator_set && arenas > 0) mallopt(M_ARENA_MAX, arenas);
#else
  (void)arenas;  // other allocators size their own arenas
  (void)operator_set;
#endif
}

}  // namespace evermirror::base

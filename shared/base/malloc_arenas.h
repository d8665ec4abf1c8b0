// LimitMallocArenas: caps how many glibc malloc arenas a service process creates. Called by
// every service's main.cc before its first thread starts.
#pragma once

namespace evermirror::base {

// Sets glibc's M_ARENA_MAX to `arenas` (> 0). glibc's default is 8 per core (32 on a
// Raspberry Pi 4), and each thread that meets a locked arena takes a new one, whose freed
// memory mostly stays resident; the replicator's ~50 threads (one per long-lived gRPC call)
// spread its heap that way. Does nothing when the operator set MALLOC_ARENA_MAX in the
// environment (glibc applies that itself): pass `operator_set` = whether it is set.
// Thread-safe; affects arenas created afterwards only.
void LimitMallocArenas(int arenas, bool operator_set);

}  // namespace evermirror::base

// What this machine allows at best, measured in the same run as the replication benchmark:
// loopback TCP between two threads, and the libsodium primitives replication spends its CPU on
// (BLAKE2b for the Merkle tree, Ed25519 verification, XSalsa20 for the encrypted wire).
#pragma once

#include <cstddef>
#include <sys/types.h>

namespace evermirror::bench {

struct MachineBounds {
  double loopback_tcp_mib_s = 0;   // one sender thread -> one receiver thread, 256 KiB writes
  double blake2b_64k_mib_s = 0;    // crypto_generichash over 64 KiB buffers
  double blake2b_1k_per_s = 0;     // leaf hashes of 1 KiB blocks
  double ed25519_verify_per_s = 0; // crypto_sign_verify_detached of a 32-byte message
  double xsalsa20_mib_s = 0;       // crypto_stream_xsalsa20_xor over 64 KiB buffers
};

// Takes a few seconds (about half a second per figure).
MachineBounds MeasureMachineBounds();

// CPU time (user + system) and peak resident set of a running process, from /proc.
struct ProcessSample {
  double cpu_seconds = 0;
  double peak_rss_mb = 0;  // VmHWM, in 10^6 bytes
  double rss_mb = 0;       // VmRSS now
};
ProcessSample SampleProcess(pid_t pid);

}  // namespace evermirror::bench

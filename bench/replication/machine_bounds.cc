#include "bench/replication/machine_bounds.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace evermirror::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kMiB = 1024.0 * 1024.0;

double Since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Runs `step` (which handles `units`) repeatedly for about half a second; units per second.
template <typename Step>
double Rate(double units, Step step) {
  const auto start = Clock::now();
  double done = 0;
  while (Since(start) < 0.5) {
    for (int i = 0; i < 16; ++i) step();
    done += 16 * units;
  }
  return done / Since(start);
}

double LoopbackTcp() {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listener);
    return 0;
  }
  constexpr size_t kTotal = size_t{2} << 30;
  std::thread sender([addr] {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      std::vector<char> buf(256 << 10, 'x');
      for (size_t sent = 0; sent < kTotal;) {
        const ssize_t n = ::send(fd, buf.data(), std::min(buf.size(), kTotal - sent), MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
    }
    ::close(fd);
  });
  const int fd = ::accept(listener, nullptr, nullptr);
  std::vector<char> buf(256 << 10);
  const auto start = Clock::now();
  size_t received = 0;
  while (received < kTotal) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    received += static_cast<size_t>(n);
  }
  const double seconds = Since(start);
  sender.join();
  ::close(fd);
  ::close(listener);
  return received / kMiB / seconds;
}

}  // namespace

MachineBounds MeasureMachineBounds() {
  if (sodium_init() < 0) return {};
  MachineBounds b;
  b.loopback_tcp_mib_s = LoopbackTcp();
  std::vector<unsigned char> big(64 << 10, 0x5a), small(1 << 10, 0x5a), out(64);
  b.blake2b_64k_mib_s =
      Rate(big.size() / kMiB, [&] { crypto_generichash(out.data(), 32, big.data(), big.size(), nullptr, 0); });
  b.blake2b_1k_per_s = Rate(1, [&] { crypto_generichash(out.data(), 32, small.data(), small.size(), nullptr, 0); });
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
  crypto_sign_keypair(pk, sk);
  crypto_sign_detached(sig, nullptr, out.data(), 32, sk);
  b.ed25519_verify_per_s = Rate(1, [&] {
    if (crypto_sign_verify_detached(sig, out.data(), 32, pk) != 0) std::abort();
  });
  unsigned char key[crypto_stream_xsalsa20_KEYBYTES] = {1}, nonce[crypto_stream_xsalsa20_NONCEBYTES] = {2};
  b.xsalsa20_mib_s =
      Rate(big.size() / kMiB, [&] { crypto_stream_xsalsa20_xor(big.data(), big.data(), big.size(), nonce, key); });
  return b;
}

ProcessSample SampleProcess(pid_t pid) {
  ProcessSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const size_t close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    s.cpu_seconds = (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) s.peak_rss_mb = std::stod(line.substr(6)) * 1024 / 1e6;
    if (line.rfind("VmRSS:", 0) == 0) s.rss_mb = std::stod(line.substr(6)) * 1024 / 1e6;
  }
  return s;
}

}  // namespace evermirror::bench

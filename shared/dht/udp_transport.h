// UdpTransport: a real IPv4 UDP socket for DhtNode. Implements DatagramSender and delivers
// each received datagram to a callback on its own receive thread (poll(2) on the socket and a
// wake-up pipe, so Stop() returns promptly). Used by the swarm service and the interop tools.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "shared/dht/datagram_sender.h"
#include "shared/dht/endpoint.h"

namespace evermirror::dht {

class UdpTransport final : public DatagramSender {
 public:
  using Receiver = std::function<void(const Endpoint& from, std::string_view datagram)>;

  // Binds a UDP socket to `local` (port 0 picks a free port). Unavailable/Internal with the
  // errno text when the socket cannot be created or bound (e.g. the port is taken).
  static absl::StatusOr<std::unique_ptr<UdpTransport>> Bind(const Endpoint& local);
  ~UdpTransport() override;  // Stop(), then closes the socket

  // Starts the receive thread; `receiver` is called on it, one datagram at a time.
  // REQUIRES: called at most once.
  void Start(Receiver receiver);
  // Stops and joins the receive thread: no receiver call runs or starts after it returns.
  // Idempotent; Send keeps working. Not to be called from the receiver.
  void Stop();

  // Thread-safe; never blocks (a full socket buffer drops the datagram: Unavailable).
  absl::Status Send(const Endpoint& to, std::string_view datagram) override;
  // The bound address, with the port the kernel chose.
  Endpoint local_endpoint() const { return local_; }
  uint64_t datagrams_received() const { return received_.load(); }

 private:
  UdpTransport(int fd, int wake_read, int wake_write, const Endpoint& local);
  void Loop();

  const int fd_;
  const int wake_read_;
  const int wake_write_;
  const Endpoint local_;
  Receiver receiver_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> received_{0};
};

}  // namespace evermirror::dht

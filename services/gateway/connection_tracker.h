// ConnectionTracker: the gateway's own book of open HTTP connections, for limits the HTTP
// library does not give precisely: connections in total and per client address (refused at
// accept, and counted), and a deadline for each request head however slowly it trickles in
// (slowloris), enforced by Sweep() shutting the socket down.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/gateway_metrics.h"
#include "shared/env/clock.h"

namespace evermirror::gateway {

// Thread-safe.
class ConnectionTracker {
 public:
  struct Connection {
    std::string client;  // address, as text
    int fd = -1;
    absl::Time head_started;  // when it began waiting for the current request head
    bool in_request = false;  // head complete; response not yet finished
  };

  // `clock` must outlive this.
  ConnectionTracker(size_t max_total, size_t max_per_client, absl::Duration header_timeout,
                    env::Clock* clock);

  // Whether a new connection from `client` may be accepted; the reason if not.
  std::optional<Rejection> Admit(std::string_view client) const;

  // Lifecycle. Opened returns a handle, stable until Closed(handle). `fd` is the socket;
  // the tracker only ever shuts it down (never closes it), and only before Closed.
  Connection* Opened(std::string client, int fd);
  void RequestStarted(Connection* connection);
  void RequestFinished(Connection* connection);
  void Closed(Connection* connection);

  // Shuts down (shutdown(2), SHUT_RDWR) every connection whose request head has been
  // awaited longer than the header timeout; the HTTP library then closes it. Returns how
  // many. REQUIRES: Closed is called before the library closes a socket.
  size_t Sweep();

  size_t open_connections() const;

 private:
  const size_t max_total_;
  const size_t max_per_client_;
  const absl::Duration header_timeout_;
  env::Clock* const clock_;
  mutable absl::Mutex mu_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, size_t> per_client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::gateway

// Client side of the local gRPC links between services (gateway -> replicator, swarm ->
// replicator, ...): channels to "host:port" or "unix:/path" with keepalive and reconnect
// backoff, call contexts that wait for a restarting peer, and a health probe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace evermirror::rpc {

struct ChannelOptions {
  // Ping an idle connection this often, and drop it when a ping is not answered in time, so a
  // peer that vanished (container killed, cable pulled) is noticed on long watch streams.
  // GrpcServer accepts pings down to every 5 s.
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Reconnect backoff after a failed connection attempt (gRPC doubles it up to the max).
  absl::Duration initial_reconnect_backoff = absl::Milliseconds(250);
  absl::Duration max_reconnect_backoff = absl::Seconds(10);
  uint64_t max_message_bytes = 4u << 20;
};

// A channel (insecure: links are local) to `address`. Connects lazily. InvalidArgument for an
// address that does not parse (config/address.h). Thread-safe; share one per peer.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(std::string_view address,
                                                           const ChannelOptions& options = {});

// Sets a deadline `timeout` from now and wait_for_ready: the call waits, up to the deadline,
// for the peer to come (back) up instead of failing at once with UNAVAILABLE. For calls
// between the box's own services, which start in any order.
void PrepareContext(grpc::ClientContext* context, absl::Duration timeout);

// Connects `channel` now. DeadlineExceeded (naming the state it was stuck in) if it is not
// connected within `timeout`.
absl::Status WaitForConnected(grpc::Channel& channel, absl::Duration timeout);

// grpc.health.v1.Health/Check of `service` ("" = the whole server), waiting for the server
// up to `timeout`. OK when SERVING; Unavailable when NOT_SERVING or unreachable; NotFound for
// a service the server does not know; DeadlineExceeded on timeout.
absl::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, std::string_view service,
                         absl::Duration timeout);

}  // namespace evermirror::rpc

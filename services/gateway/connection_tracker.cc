#include "services/gateway/connection_tracker.h"

#include <sys/socket.h>

#include <memory>

namespace evermirror::gateway {

ConnectionTracker::ConnectionTracker(size_t max_total, size_t max_per_client,
                                     absl::Duration header_timeout, env::Clock* clock)
    : max_total_(max_total),
      max_per_client_(max_per_client),
      header_timeout_(header_timeout),
      clock_(clock) {}

std::optional<Rejection> ConnectionTracker::Admit(std::string_view client) const {
  absl::MutexLock lock(&mu_);
  if (connections_.size() >= max_total_) return Rejection::kConnectionLimit;
  auto it = per_client_.find(std::string(client));
  if (it != per_client_.end() && it->second >= max_per_client_) return Rejection::kPerIpLimit;
  return std::nullopt;
}

ConnectionTracker::Connection* ConnectionTracker::Opened(std::string client, int fd) {
  auto connection = std::make_unique<Connection>();
  connection->client = std::move(client);
  connection->fd = fd;
  connection->head_started = clock_->Now();
  Connection* handle = connection.get();
  absl::MutexLock lock(&mu_);
  ++per_client_[handle->client];
  connections_.emplace(handle, std::move(connection));
  return handle;
}

void ConnectionTracker::RequestStarted(Connection* connection) {
  absl::MutexLock lock(&mu_);
  connection->in_request = true;
}

void ConnectionTracker::RequestFinished(Connection* connection) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  connection->in_request = false;
  connection->head_started = now;
}

void ConnectionTracker::Closed(Connection* connection) {
  absl::MutexLock lock(&mu_);
  auto it = per_client_.find(connection->client);
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  connections_.erase(connection);
}

size_t ConnectionTracker::Sweep() {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  size_t swept = 0;
  for (auto& [handle, connection] : connections_) {
    if (connection->in_request || connection->fd < 0) continue;
    if (now - connection->head_started <= header_timeout_) continue;
    // Holding mu_ keeps Closed (and so the library's close of this fd) from running
    // concurrently, so the descriptor cannot have been reused.
    ::shutdown(connection->fd, SHUT_RDWR);
    connection->fd = -1;
    ++swept;
  }
  return swept;
}

size_t ConnectionTracker::open_connections() const {
  absl::MutexLock lock(&mu_);
  return connections_.size();
}

}  // namespace evermirror::gateway

#include "services/replicator/peer_manager.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "services/replicator/socket_util.h"
#include "shared/base/hex.h"
#include "shared/base/logging.h"
#include "shared/base/status_macros.h"

namespace evermirror::replicator {
namespace {

constexpr uint64_t kWakeId = 0;
constexpr uint64_t kListenerId = 1;
constexpr size_t kReadChunk = 256 * 1024;
constexpr int kReadsPerEvent = 16;  // fairness: then let other peers run

}  // namespace

struct PeerManager::Peer {
  uint64_t id = 0;
  int fd = -1;
  bool inbound = false;
  bool connecting = false;
  bool writing = false;  // EPOLLOUT registered
  std::string address;
  std::unique_ptr<replication::Connection> conn;
  std::vector<std::shared_ptr<replication::ReplicatedFeed>> to_open;  // outbound: once connected
  std::function<void(absl::StatusOr<uint64_t>)> on_connect;
  absl::Time since;
  absl::Time connect_deadline;
  absl::Time last_shared;  // last time a feed was open on both sides
  std::string send_buf;
  size_t send_off = 0;
  replication::ConnectionStats reported;  // stats already passed to OnTraffic
};

absl::Status PeerOptions::Validate() const {
  if (!listen_address.empty()) {
    absl::StatusOr<HostPort> hp = ParseHostPort(listen_address);
    if (!hp.ok()) return absl::InvalidArgumentError(absl::StrCat("replicator.peer_address: ", hp.status().message()));
    absl::StatusOr<sockaddr_in> addr = ToSockaddr(*hp);
    if (!addr.ok()) return absl::InvalidArgumentError(absl::StrCat("replicator.peer_address: ", addr.status().message()));
  }
  if (max_connections == 0) return absl::InvalidArgumentError("replicator.max_connections must be > 0");
  if (flush_interval <= absl::ZeroDuration()) return absl::InvalidArgumentError("replicator.flush_interval must be > 0");
  if (idle_timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("replicator.idle_timeout must be > 0");
  if (max_output_bytes < (16u << 20)) return absl::InvalidArgumentError("replicator.max_output_bytes must be >= 16 MiB");
  return connection.Validate();
}

PeerManager::PeerManager(const PeerOptions& options, FeedStore* store, PeerEvents* events, env::Clock* clock)
    : options_(options), store_(store), events_(events), clock_(clock) {}

PeerManager::~PeerManager() { Stop(); }

absl::Status PeerManager::Start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return absl::InternalError("epoll/eventfd failed");
  epoll_event ev{EPOLLIN, {.u64 = kWakeId}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  if (!options_.listen_address.empty()) {
    EM_ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(options_.listen_address));
    EM_ASSIGN_OR_RETURN(listen_fd_, ListenTcp(hp, 128, &listen_port_));
    epoll_event lev{EPOLLIN, {.u64 = kListenerId}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &lev);
  }
  next_periodic_ = clock_->Now() + options_.flush_interval;
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
  log::Info("peer_listener_started").Kv("address", options_.listen_address).Kv("port", listen_port_);
  return absl::OkStatus();
}

void PeerManager::Stop() {
  if (!running_) return;
  {
    absl::MutexLock lock(&tasks_mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof(one));
  thread_.join();
  running_ = false;
  RunTasks();  // wake anyone waiting on a task that was queued too late
  for (int fd : {listen_fd_, wake_fd_, epoll_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void PeerManager::Post(std::function<void()> task) {
  {
    absl::MutexLock lock(&tasks_mu_);
    tasks_.push_back(std::move(task));
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof(one));
}

bool PeerManager::RunAndWait(std::function<void()> task) {
  auto done = std::make_shared<absl::Notification>();
  {
    absl::MutexLock lock(&tasks_mu_);
    if (stopping_ || !running_) return false;
  }
  Post([task = std::move(task), done] {
    task();
    done->Notify();
  });
  // Every posted task runs: in the loop, or in Stop() after the loop has ended.
  done->WaitForNotification();
  return true;
}

void PeerManager::RunTasks() {
  std::vector<std::function<void()>> tasks;
  {
    absl::MutexLock lock(&tasks_mu_);
    tasks.swap(tasks_);
  }
  for (auto& task : tasks) task();
}

void PeerManager::Loop() {
  epoll_event events[64];
  while (true) {
    {
      absl::MutexLock lock(&tasks_mu_);
      if (stopping_) break;
    }
    const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(NextWait())) + 1;
    const int n = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        uint64_t value;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &value, sizeof(value));
      } else if (id == kListenerId) {
        Accept();
      } else {
        HandleEvent(id, events[i].events);
      }
    }
    RunTasks();
    PollTimers();
    std::vector<uint64_t> dirty;
    dirty.swap(dirty_);
    for (uint64_t id : dirty) {
      auto it = peers_.find(id);
      if (it != peers_.end()) Flush(*it->second);
    }
    replication::ConnectionStats total;
    for (auto& [id, peer] : peers_) ReportTraffic(*peer, &total);
    if (events_ != nullptr && (total.bytes_in || total.bytes_out)) events_->OnTraffic(total);
  }
  while (!peers_.empty()) Close(peers_.begin()->first, absl::CancelledError("replicator shutting down"));
}

void PeerManager::Accept() {
  while (true) {
    sockaddr_in addr{};
    absl::StatusOr<int> fd = AcceptTcp(listen_fd_, &addr);
    if (!fd.ok()) return;
    if (peers_.size() >= options_.max_connections) {
      ::close(*fd);
      log::Warn("peer_refused").Kv("reason", "max_connections").Kv("address", FormatSockaddr(addr));
      continue;
    }
    auto peer = std::make_unique<Peer>();
    peer->id = ++next_id_;
    peer->fd = *fd;
    peer->inbound = true;
    peer->address = FormatSockaddr(addr);
    peer->since = peer->last_shared = clock_->Now();
    peer->conn = std::make_unique<replication::Connection>(options_.connection, store_, this, clock_);
    epoll_event ev{EPOLLIN, {.u64 = peer->id}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, peer->fd, &ev);
    if (events_ != nullptr) events_->OnConnectionOpened(SnapshotOf(*peer));
    peers_[peer->id] = std::move(peer);
  }
}

void PeerManager::HandleEvent(uint64_t id, uint32_t events) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  Peer& peer = *it->second;
  if (peer.connecting) {
    FinishConnect(peer);
    return;
  }
  if (events & EPOLLOUT) Flush(peer);
  if (peers_.count(id) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) Read(*peers_[id]);
}

void PeerManager::Read(Peer& peer) {
  static thread_local std::string buf(kReadChunk, '\0');
  for (int i = 0; i < kReadsPerEvent; ++i) {
    const ssize_t n = ::recv(peer.fd, buf.data(), buf.size(), 0);
    if (n == 0) return Close(peer.id, absl::UnavailableError("peer closed the connection"));
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return Close(peer.id, absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno))));
    }
    absl::Status status = peer.conn->OnBytes(buf.data(), static_cast<size_t>(n));
    if (!status.ok()) return Close(peer.id, status);
  }
  Flush(peer);
}

void PeerManager::FinishConnect(Peer& peer) {
  absl::Status status = ConnectResult(peer.fd);
  if (status.ok()) {
    peer.connecting = false;
    peer.conn = std::make_unique<replication::Connection>(options_.connection, store_, this, clock_);
    status = peer.conn->Start(peer.to_open[0]);
    for (size_t i = 1; status.ok() && i < peer.to_open.size(); ++i) status = peer.conn->OpenFeed(peer.to_open[i]);
    peer.to_open.clear();
  }
  if (!status.ok()) {
    if (peer.on_connect) peer.on_connect(status);
    peer.on_connect = nullptr;
    return Close(peer.id, status);
  }
  if (peer.on_connect) peer.on_connect(peer.id);
  peer.on_connect = nullptr;
  if (events_ != nullptr) events_->OnConnectionOpened(SnapshotOf(peer));
  Watch(peer, false);
  Flush(peer);
}

void PeerManager::Flush(Peer& peer) {
  if (peer.conn == nullptr || peer.connecting) return;
  std::string& out = peer.conn->output();
  if (!out.empty()) {
    if (peer.send_buf.empty()) {
      peer.send_buf.swap(out);
    } else {
      peer.send_buf.append(out);
      out.clear();
    }
  }
  while (peer.send_off < peer.send_buf.size()) {
    const ssize_t n = ::send(peer.fd, peer.send_buf.data() + peer.send_off, peer.send_buf.size() - peer.send_off,
                             MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return Close(peer.id, absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno))));
    }
    peer.send_off += static_cast<size_t>(n);
    peer.conn->AddBytesSent(static_cast<size_t>(n));
  }
  if (peer.send_off == peer.send_buf.size()) {
    peer.send_buf.clear();
    peer.send_off = 0;
  } else if (peer.send_off > (1u << 20)) {
    peer.send_buf.erase(0, peer.send_off);
    peer.send_off = 0;
  }
  if (peer.send_buf.size() - peer.send_off > options_.max_output_bytes) {
    return Close(peer.id, absl::ResourceExhaustedError("peer is not reading what we send"));
  }
  Watch(peer, !peer.send_buf.empty());
}

void PeerManager::Watch(Peer& peer, bool want_write) {
  if (peer.writing == want_write) return;
  peer.writing = want_write;
  epoll_event ev{EPOLLIN | (want_write ? static_cast<uint32_t>(EPOLLOUT) : 0u), {.u64 = peer.id}};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, peer.fd, &ev);
}

void PeerManager::Close(uint64_t id, const absl::Status& reason) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  std::unique_ptr<Peer> peer = std::move(it->second);
  peers_.erase(it);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, peer->fd, nullptr);
  ::close(peer->fd);
  if (peer->on_connect) peer->on_connect(reason);
  log::Info("peer_closed").Kv("address", peer->address).Kv("inbound", peer->inbound).Kv("reason", reason);
  if (events_ != nullptr && peer->conn != nullptr) {
    replication::ConnectionStats last;
    ReportTraffic(*peer, &last);
    events_->OnTraffic(last);
    events_->OnConnectionClosed(SnapshotOf(*peer), reason);
  }
  // The blocks it had requested are free again once its channels are gone: the other
  // connections ask for them now, not at their next message (which may never come).
  const bool released = peer->conn != nullptr && peer->conn->inflight() > 0;
  peer.reset();
  if (!released) return;
  for (auto& [other, p] : peers_) {
    if (p->conn != nullptr && p->conn->Update().ok()) dirty_.push_back(other);
  }
}

void PeerManager::ReportTraffic(Peer& peer, replication::ConnectionStats* total) {
  if (peer.conn == nullptr) return;
  const replication::ConnectionStats& now = peer.conn->stats();
  replication::ConnectionStats& was = peer.reported;
  total->bytes_in += now.bytes_in - was.bytes_in;
  total->bytes_out += now.bytes_out - was.bytes_out;
  total->blocks_in += now.blocks_in - was.blocks_in;
  total->blocks_out += now.blocks_out - was.blocks_out;
  total->block_bytes_in += now.block_bytes_in - was.block_bytes_in;
  total->block_bytes_out += now.block_bytes_out - was.block_bytes_out;
  total->requests_sent += now.requests_sent - was.requests_sent;
  total->ignored_messages += now.ignored_messages - was.ignored_messages;
  was = now;
}

absl::Duration PeerManager::NextWait() {
  absl::Time next = std::min(next_periodic_, clock_->Now() + absl::Seconds(1));
  for (const auto& [id, peer] : peers_) {
    next = std::min(next, peer->connecting ? peer->connect_deadline : peer->conn->NextDeadline());
  }
  return std::max(absl::ZeroDuration(), next - clock_->Now());
}

void PeerManager::PollTimers() {
  const absl::Time now = clock_->Now();
  std::vector<std::pair<uint64_t, absl::Status>> to_close;
  for (auto& [id, peer] : peers_) {
    if (peer->connecting) {
      if (now >= peer->connect_deadline) to_close.emplace_back(id, absl::DeadlineExceededError("connect timed out"));
      continue;
    }
    if (peer->conn->open_channels() > 0) peer->last_shared = now;
    if (now - peer->last_shared > options_.idle_timeout) {
      to_close.emplace_back(id, absl::DeadlineExceededError("idle: no feed in common"));
      continue;
    }
    if (now >= peer->conn->NextDeadline()) {
      absl::Status status = peer->conn->Poll();
      if (!status.ok()) {
        to_close.emplace_back(id, status);
        continue;
      }
      dirty_.push_back(id);
    }
  }
  for (const auto& [id, status] : to_close) Close(id, status);
  if (now >= next_periodic_) {
    next_periodic_ = now + options_.flush_interval;
    if (events_ != nullptr) {
      size_t inflight = 0;
      for (const auto& [id, peer] : peers_) inflight += peer->conn != nullptr ? peer->conn->inflight() : 0;
      events_->OnPeriodic(peers_.size(), inflight);
    }
  }
}

PeerManager::Peer* PeerManager::FindByAddress(const std::string& address) {
  for (auto& [id, peer] : peers_) {
    if (peer->address == address) return peer.get();
  }
  return nullptr;
}

absl::StatusOr<uint64_t> PeerManager::Connect(const std::string& host, uint16_t port,
                                              std::vector<std::shared_ptr<replication::ReplicatedFeed>> feeds) {
  if (feeds.empty()) return absl::InvalidArgumentError("nothing to replicate with that peer");
  EM_ASSIGN_OR_RETURN(sockaddr_in addr, ToSockaddr(HostPort{host, port}));
  struct Result {
    absl::Mutex mu;
    std::optional<absl::StatusOr<uint64_t>> value;
    absl::Notification done;
  };
  auto result = std::make_shared<Result>();
  auto finish = [result](absl::StatusOr<uint64_t> value) {
    absl::MutexLock lock(&result->mu);
    if (result->value.has_value()) return;
    result->value = std::move(value);
    result->done.Notify();
  };
  const bool posted = RunAndWait([this, addr, feeds, finish] {
    if (Peer* existing = FindByAddress(FormatSockaddr(addr)); existing != nullptr && !existing->connecting) {
      for (const auto& f : feeds) (void)existing->conn->OpenFeed(f);
      dirty_.push_back(existing->id);
      return finish(existing->id);
    }
    absl::StatusOr<int> fd = StartConnect(addr);
    if (!fd.ok()) return finish(fd.status());
    auto peer = std::make_unique<Peer>();
    peer->id = ++next_id_;
    peer->fd = *fd;
    peer->connecting = true;
    peer->writing = true;  // registered for EPOLLOUT until the connect completes
    peer->address = FormatSockaddr(addr);
    peer->to_open = feeds;
    peer->on_connect = finish;
    peer->since = peer->last_shared = clock_->Now();
    peer->connect_deadline = clock_->Now() + options_.dial_timeout;
    epoll_event ev{EPOLLOUT, {.u64 = peer->id}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, peer->fd, &ev);
    peers_[peer->id] = std::move(peer);
  });
  if (!posted) return absl::UnavailableError("replicator is shutting down");
  if (!result->done.WaitForNotificationWithTimeout(options_.dial_timeout + absl::Seconds(5))) {
    return absl::DeadlineExceededError("connect timed out");
  }
  absl::MutexLock lock(&result->mu);
  return *result->value;
}

void PeerManager::AnnounceLocal(std::shared_ptr<replication::ReplicatedFeed> feed, uint64_t start, uint64_t length) {
  Post([this, feed, start, length] {
    for (auto& [id, peer] : peers_) {
      if (peer->conn == nullptr) continue;
      absl::Status status = peer->conn->OnLocalBlocks(*feed, start, length);
      if (status.ok()) dirty_.push_back(id);
    }
    if (events_ != nullptr) events_->OnFeedChanged(*feed);
  });
}

void PeerManager::Update(std::shared_ptr<replication::ReplicatedFeed> feed) {
  Post([this, feed] {
    for (auto& [id, peer] : peers_) {
      if (peer->conn != nullptr && peer->conn->Update().ok()) dirty_.push_back(id);
    }
  });
}

void PeerManager::CloseFeed(std::shared_ptr<replication::ReplicatedFeed> feed) {
  RunAndWait([this, feed] {
    for (auto& [id, peer] : peers_) {
      if (peer->conn != nullptr) peer->conn->CloseFeed(*feed);
    }
  });
}

void PeerManager::OnBlockStored(replication::Connection& from, replication::ReplicatedFeed& feed, uint64_t index) {
  for (auto& [id, peer] : peers_) {
    if (peer->conn == nullptr || peer->conn.get() == &from) continue;
    if (peer->conn->OnLocalBlocks(feed, index, 1).ok()) dirty_.push_back(id);
  }
  if (std::optional<StoredFeed> content = store_->OnBlocksStored(feed, index); content.has_value()) {
    // Open the archive's content feed wherever its metadata feed is replicated, as a reader of
    // the reference does once it has metadata block 0. Deferred: we are inside `from`.
    const crypto::Hash metadata_dk = feed.discovery_key();
    Post([this, content = content->feed, metadata_dk] {
      for (auto& [id, peer] : peers_) {
        if (peer->conn == nullptr) continue;
        for (const auto& f : peer->conn->Feeds()) {
          if (f->discovery_key() == metadata_dk && peer->conn->OpenFeed(content).ok()) dirty_.push_back(id);
        }
      }
    });
  }
  if (events_ != nullptr) events_->OnFeedChanged(feed);
}

ConnectionSnapshot PeerManager::SnapshotOf(const Peer& peer) const {
  ConnectionSnapshot s;
  s.id = peer.id;
  s.remote_address = peer.address;
  s.inbound = peer.inbound;
  s.connected_since = peer.since;
  if (peer.conn != nullptr) {
    s.stats = peer.conn->stats();
    for (const auto& f : peer.conn->Feeds()) s.discovery_keys.push_back(f->discovery_key());
  }
  return s;
}

std::vector<ConnectionSnapshot> PeerManager::Snapshot() {
  std::vector<ConnectionSnapshot> out;
  RunAndWait([&] {
    for (const auto& [id, peer] : peers_) {
      if (!peer->connecting) out.push_back(SnapshotOf(*peer));
    }
  });
  return out;
}

uint32_t PeerManager::PeersOf(const replication::ReplicatedFeed& feed) {
  uint32_t count = 0;
  RunAndWait([&] {
    for (const auto& [id, peer] : peers_) {
      if (peer->conn == nullptr) continue;
      for (const auto& f : peer->conn->Feeds()) count += f.get() == &feed;
    }
  });
  return count;
}

}  // namespace evermirror::replicator

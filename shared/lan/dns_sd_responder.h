// DnsSdResponder: advertises the gateway as a standard DNS-SD service (RFC 6763) over multicast
// DNS (RFC 6762), so Avahi, Bonjour, phones and avahi-browse see the box:
//   _http._tcp.local PTR <box name>._http._tcp.local, SRV -> <host>.local:port, TXT path=/,
//   <host>.local A <address>, and _services._dns-sd._udp.local PTR _http._tcp.local.
// Probes before announcing, renames on conflict ("Box (2)", "host-2"), says goodbye on Stop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "shared/env/clock.h"
#include "shared/env/random.h"
#include "shared/env/scheduler.h"
#include "shared/lan/lifetime_guard.h"
#include "shared/lan/mdns_transport.h"

namespace evermirror::lan {

struct DnsSdStats {
  uint64_t probes_sent = 0;
  uint64_t announcements_sent = 0;
  uint64_t responses_sent = 0;  // answers to queries (multicast or unicast)
  uint64_t conflicts = 0;       // conflicting records seen, including lost probe tie-breaks
  uint64_t renames = 0;
};

class DnsSdResponder final : public MdnsHandler {
 public:
  struct Options {
    std::string instance_name = "evermirror";  // the box's name as browsers show it (UTF-8, <= 63 bytes)
    std::string host_name = "evermirror";      // answers for <host_name>.local (one label)
    std::string service_type = "_http._tcp";   // two labels: _service._tcp or _service._udp
    uint16_t port = 0;                         // the gateway's TCP port; required
    std::vector<std::string> txt = {"path=/"};  // TXT strings, each <= 255 bytes
    uint32_t address = 0;                      // IPv4 (host order) for the A record; 0 = the transport's
    uint32_t host_ttl = 120;                   // seconds, for SRV and A (RFC 6762 §10)
    uint32_t other_ttl = 4500;                 // seconds, for PTR and TXT
    int max_renames = 32;                      // give up (and stay silent) after this many renames

    // InvalidArgument for an empty or over-long name, a bad service type, port 0, a TXT string
    // over 255 bytes, or a zero TTL.
    absl::Status Validate() const;
  };

  enum class State { kIdle, kProbing, kAnnounced, kStopped, kGaveUp };

  // All pointers must outlive this object. REQUIRES: options.Validate().ok().
  DnsSdResponder(Options options, MdnsTransport* transport, env::Clock* clock, env::Scheduler* scheduler,
                 env::Random* random);
  // Stops (with goodbyes) and waits for a running timer task. REQUIRES: removed from its
  // MdnsDispatcher (or its socket stopped) first.
  ~DnsSdResponder() override;
  DnsSdResponder(const DnsSdResponder&) = delete;
  DnsSdResponder& operator=(const DnsSdResponder&) = delete;

  // Probes the names three times 250 ms apart, then announces twice 1 s apart and answers
  // queries. No-op unless kIdle. Thread-safe.
  void Start();
  // Multicasts every record with TTL 0 (if anything was announced) and stops answering.
  // Idempotent. Thread-safe.
  void Stop();

  void OnMdnsMessage(const DnsMessage& message, const Ipv4Endpoint& from) override;

  State state() const;
  std::string instance_name() const;  // after any renames
  std::string host_name() const;
  DnsSdStats stats() const;

 private:
  struct Record {
    DnsRecord record;
    bool unique = false;  // owned by us alone: probed, sent with the cache-flush bit
    absl::Time last_multicast = absl::InfinitePast();
  };

  void BuildRecords() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void After(absl::Duration delay) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RestartProbing(absl::Duration delay) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Step() ABSL_LOCKS_EXCLUDED(mu_);  // the next probe or announcement
  void SendProbe() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendAll(bool goodbye) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(const DnsMessage& message, std::optional<Ipv4Endpoint> to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Conflict handling (dns_sd_conflicts.cc).
  bool IsOurName(const DnsName& name, bool* is_host) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IsOurRecord(const DnsRecord& record) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckConflicts(const DnsMessage& message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int CompareProbe(const DnsMessage& probe, bool host) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnConflict(bool host) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Answering (dns_sd_answers.cc).
  void Answer(const DnsMessage& query, const Ipv4Endpoint& from) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Collect(const DnsQuestion& q, std::vector<size_t>* answers, std::vector<size_t>* additionals) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool KnownAnswer(const DnsMessage& query, const Record& record) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  MdnsTransport* const transport_;
  env::Clock* const clock_;
  env::Scheduler* const scheduler_;
  const std::shared_ptr<LifetimeGuard> guard_ = std::make_shared<LifetimeGuard>();

  mutable absl::Mutex mu_;
  env::Random* const random_ ABSL_PT_GUARDED_BY(mu_);
  State state_ ABSL_GUARDED_BY(mu_) = State::kIdle;
  std::string instance_ ABSL_GUARDED_BY(mu_);
  std::string host_ ABSL_GUARDED_BY(mu_);
  int instance_suffix_ ABSL_GUARDED_BY(mu_) = 1;
  int host_suffix_ ABSL_GUARDED_BY(mu_) = 1;
  int steps_done_ ABSL_GUARDED_BY(mu_) = 0;  // probes or announcements sent in this phase
  bool announced_any_ ABSL_GUARDED_BY(mu_) = false;
  env::Scheduler::TaskId timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Record> records_ ABSL_GUARDED_BY(mu_);
  DnsName instance_fqdn_ ABSL_GUARDED_BY(mu_);
  DnsName host_fqdn_ ABSL_GUARDED_BY(mu_);
  DnsSdStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::lan

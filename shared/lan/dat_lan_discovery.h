// DatLanDiscovery: LAN peer discovery the way discovery-swarm 6.1.0 (dns-discovery 6.2.3 over
// multicast-dns 7.2.5) does it, PROTOCOLS.md §3: query `TXT IN <hex topic>.dat.local` at join and
// every 60–70 s, answer such queries for announced topics with `token=` and `peers=` (6-byte
// IPv4+port, 0.0.0.0 = the sender), and turn TXT/SRV answers into peer candidates.
// Socket-free: it sends through an MdnsTransport and runs its timers on an env::Scheduler.
// Deliberate differences from dns-discovery: a reply repeats only the questions it answers (not
// every question of a multi-question query), a non-5353 querier gets a unicast reply, and our own
// answers looping back never become candidates (dns-discovery reports itself when it hears its
// answer to someone else's query).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

enum class PeerSource { kLan };

// A place where a peer of `topic` may be listening (TCP, and uTP for the reference peers).
struct LanPeerCandidate {
  std::string topic;  // the topic bytes as passed to Join
  Ipv4Endpoint endpoint;
  PeerSource source = PeerSource::kLan;
};

// discovery-channel truncates a topic to 20 bytes (the DHT info_hash; with `hash: false` that is
// the first 20 bytes of a Dat discovery key) and dns-discovery names it by the lower-case hex of
// those bytes. So the label of a discovery key is hex(key[0..20)), and a plain topic name such as
// "my-topic" is hex of its UTF-8 bytes.
inline constexpr size_t kMaxTopicBytes = 20;
std::string DnsDiscoveryLabel(std::string_view topic);

// Counters for metrics; monotonic.
struct DatLanDiscoveryStats {
  uint64_t queries_sent = 0;
  uint64_t answers_sent = 0;           // answers to queries and announcements at join
  uint64_t candidates_delivered = 0;
  uint64_t own_echoes_dropped = 0;     // our own TXT answers heard back (matching token)
  uint64_t bad_records_dropped = 0;    // undecodable peers=, SRV targets that are not IPv4, port 0
  uint64_t unknown_topic_records = 0;  // well-formed records for topics we have not joined
};

class DatLanDiscovery final : public MdnsHandler {
 public:
  struct Options {
    // dns-discovery's `domain`; dat-swarm-defaults sets "dat.local". Exactly two labels, as
    // dns-discovery takes the last two labels of a name as the domain.
    std::string domain = "dat.local";
    // Re-query period: uniform in [query_interval, query_interval + query_jitter), as
    // discovery-channel does (60 s + up to 10 s).
    absl::Duration query_interval = absl::Seconds(60);
    absl::Duration query_jitter = absl::Seconds(10);
    // A candidate (topic, address, port) heard again within this is not delivered again.
    absl::Duration repeat_suppression = absl::Seconds(30);
    // Bounds on state driven by remote input or callers.
    size_t max_topics = 4096;
    size_t max_remembered_candidates = 4096;

    // InvalidArgument for a domain that is not two valid labels or non-positive durations.
    absl::Status Validate() const;
  };

  // Called for each new candidate from the transport's receive thread (never with an internal
  // lock held, so it may call Join/Leave).
  using CandidateCallback = std::function<void(const LanPeerCandidate&)>;

  // All pointers must outlive this object. REQUIRES: options.Validate().ok().
  DatLanDiscovery(Options options, MdnsTransport* transport, env::Clock* clock, env::Scheduler* scheduler,
                  env::Random* random, CandidateCallback on_candidate);
  // Cancels timers and waits for a running timer task. REQUIRES: this handler has been removed
  // from its MdnsDispatcher (or its socket stopped) first; not called from the callback.
  ~DatLanDiscovery() override;
  DatLanDiscovery(const DatLanDiscovery&) = delete;
  DatLanDiscovery& operator=(const DatLanDiscovery&) = delete;

  // Starts looking for peers of `topic` (1+ bytes; bytes past 20 are ignored, see above): sends a
  // query now and every 60–70 s. With `announce_port`, also answers queries for the topic with
  // that port and announces it with each query. Joining a joined topic updates its announce port.
  // InvalidArgument for an empty topic or port 0; ResourceExhausted past max_topics. Thread-safe.
  absl::Status Join(std::string_view topic, std::optional<uint16_t> announce_port);
  // Stops querying and answering for `topic`. NotFound if not joined. Thread-safe. (dns-discovery
  // sends nothing on the LAN when it leaves either: its records have TTL 0.)
  absl::Status Leave(std::string_view topic);

  void OnMdnsMessage(const DnsMessage& message, const Ipv4Endpoint& from) override;

  DatLanDiscoveryStats stats() const;

 private:
  struct Topic {
    std::string bytes;
    DnsName name;  // <label>.<domain>
    std::optional<uint16_t> announce_port;
    env::Scheduler::TaskId timer = 0;
  };
  struct OwnQuery {
    DnsMessage message;
    absl::Time sent;
  };

  void ScheduleQuery(Topic* topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTimer(const std::string& label) ABSL_LOCKS_EXCLUDED(mu_);
  void QueryAndAnnounce(const Topic& topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendQuery(const Topic& topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ConsumeOwnQuery(const DnsMessage& message, const Ipv4Endpoint& from) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeAnswer(const DnsQuestion& question, std::vector<DnsQuestion>* questions, std::vector<DnsRecord>* answers)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ParseRecord(const DnsRecord& record, const Ipv4Endpoint& from, std::vector<LanPeerCandidate>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ParseTxt(const Topic& topic, const TxtData& txt, const Ipv4Endpoint& from,
                std::vector<LanPeerCandidate>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddCandidate(const Topic& topic, Ipv4Endpoint endpoint, std::vector<LanPeerCandidate>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Topic* FindTopic(const DnsName& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(const DnsMessage& message, std::optional<Ipv4Endpoint> unicast_to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const DnsName domain_;
  MdnsTransport* const transport_;
  env::Clock* const clock_;
  env::Scheduler* const scheduler_;
  const CandidateCallback on_candidate_;
  const std::shared_ptr<LifetimeGuard> guard_ = std::make_shared<LifetimeGuard>();

  mutable absl::Mutex mu_;
  env::Random* const random_ ABSL_PT_GUARDED_BY(mu_);
  std::string token_ ABSL_GUARDED_BY(mu_);                // base64, constant per instance
  std::map<std::string, Topic> topics_ ABSL_GUARDED_BY(mu_);  // by lower-case hex label
  // (label, endpoint) -> when it was last delivered.
  std::map<std::pair<std::string, Ipv4Endpoint>, absl::Time> seen_ ABSL_GUARDED_BY(mu_);
  std::vector<OwnQuery> own_queries_ ABSL_GUARDED_BY(mu_);  // sent for announced topics in the last 2 s
  DatLanDiscoveryStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evermirror::lan

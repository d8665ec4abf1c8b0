#include "services/gateway/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/gateway/mhd_response.h"
#include "shared/base/logging.h"

namespace evermirror::gateway {

// State of one request, from its request line to its completion (MHD's con_cls).
struct RequestState {
  RequestState(absl::Time start_time, size_t target) : start(start_time), target_bytes(target) {}
  absl::Time start;
  size_t target_bytes = 0;
  bool started = false;  // the handler has seen the complete head
  bool answered = false; // we queued a response
  // Keeps the bytes of a queued prepared response alive until the request completes.
  std::shared_ptr<const CachedFile> pin;
};

struct HttpServer::Sweeper {
  absl::Mutex mu;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  env::Scheduler::TaskId task ABSL_GUARDED_BY(mu) = 0;
  std::shared_ptr<ConnectionTracker> tracker;
  GatewayMetrics* metrics = nullptr;
  env::Scheduler* scheduler = nullptr;
  absl::Duration interval;

  size_t SweepNow() {
    const size_t swept = tracker->Sweep();
    for (size_t i = 0; i < swept; ++i) metrics->RecordRejection(Rejection::kHeaderTimeout);
    return swept;
  }
  // Runs a sweep every `interval` until Stop; the task holds a reference, so it is safe
  // even if it starts running as the server is destroyed.
  static void Schedule(const std::shared_ptr<Sweeper>& self) {
    absl::MutexLock lock(&self->mu);
    if (self->stopped) return;
    self->task = self->scheduler->RunAfter(self->interval, [self] {
      {
        absl::MutexLock lock(&self->mu);
        if (self->stopped) return;
        self->SweepNow();
      }
      Schedule(self);
    });
  }
  void Stop() {
    absl::MutexLock lock(&mu);
    stopped = true;
    if (scheduler != nullptr && task != 0) scheduler->Cancel(task);
  }
};

namespace {

std::string AddressText(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof(text));
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

ConnectionTracker::Connection* ConnectionOf(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info == nullptr ? nullptr : static_cast<ConnectionTracker::Connection*>(info->socket_context);
}

std::optional<std::string_view> Header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  if (value == nullptr) return std::nullopt;
  return std::string_view(value);
}

MHD_Result AddHeaderBytes(void* cls, MHD_ValueKind, const char* key, const char* value) {
  *static_cast<size_t*>(cls) += std::strlen(key) + (value ? std::strlen(value) : 0) + 4;
  return MHD_YES;
}

bool ParseListenAddress(const std::string& address, uint16_t port, sockaddr_storage* storage) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(storage);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return true;
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return true;
  }
  return false;
}

bool HasBody(MHD_Connection* connection) {
  auto length = Header(connection, MHD_HTTP_HEADER_CONTENT_LENGTH);
  return Header(connection, MHD_HTTP_HEADER_TRANSFER_ENCODING).has_value() ||
         (length.has_value() && *length != "0");
}

}  // namespace

// libmicrohttpd calls these with `cls` = the HttpServer.
struct MhdCallbacks {
  static MHD_Result Accept(void* cls, const sockaddr* addr, socklen_t) {
    auto* server = static_cast<HttpServer*>(cls);
    const std::optional<Rejection> rejection = server->tracker_->Admit(AddressText(addr));
    if (!rejection.has_value()) return MHD_YES;
    server->metrics_->RecordRejection(*rejection);
    return MHD_NO;
  }

  static void Connection(void* cls, MHD_Connection* connection, void** socket_context,
                         MHD_ConnectionNotificationCode code) {
    auto* server = static_cast<HttpServer*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* addr =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
      const MHD_ConnectionInfo* fd =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      *socket_context = server->tracker_->Opened(
          addr == nullptr ? "" : AddressText(addr->client_addr),
          fd == nullptr ? -1 : fd->connect_fd);
      server->metrics_->ConnectionOpened();
    } else if (*socket_context != nullptr) {
      server->tracker_->Closed(static_cast<ConnectionTracker::Connection*>(*socket_context));
      *socket_context = nullptr;
      server->metrics_->ConnectionClosed();
    }
  }

  // Called once the request line is in: the request's state starts here, so requests the
  // library rejects by itself later (431, 400) still reach Completed and are counted.
  static void* UriLog(void* cls, const char* uri, MHD_Connection*) {
    auto* server = static_cast<HttpServer*>(cls);
    return new RequestState(server->clock_->Now(), std::strlen(uri));
  }

  static size_t Unescape(void*, MHD_Connection*, char* text) { return std::strlen(text); }

  static void Log(void*, const char* format, va_list args) {
    char line[512];
    std::vsnprintf(line, sizeof(line), format, args);
    log::Debug("mhd").Kv("message", std::string_view(line));
  }

  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url,
                           const char* method, const char*, const char*, size_t* upload_size,
                           void** con_cls) {
    auto* server = static_cast<HttpServer*>(cls);
    auto* state = static_cast<RequestState*>(*con_cls);
    if (state == nullptr) *con_cls = state = new RequestState(server->clock_->Now(), std::strlen(url));
    const std::string_view method_view(method);
    const bool plain = method_view == "GET" || method_view == "HEAD";
    if (!state->started) {
      state->started = true;
      if (auto* c = ConnectionOf(connection)) server->tracker_->RequestStarted(c);
      // Queueing on this first call makes keep-alive work; only refusals answer now, before
      // any body is read (the library then closes the connection).
      if (plain && !HasBody(connection)) return MHD_YES;
    }
    if (*upload_size != 0) {
      *upload_size = 0;  // discard: nothing we serve takes a body
      return MHD_YES;
    }
    HttpResponse response;
    if (plain && HasBody(connection)) {
      response.status = 400;
      response.SetBody("A GET or HEAD request must not carry a body.\n");
      response.close = true;
      server->metrics_->RecordRejection(Rejection::kBadRequest);
      server->metrics_->RecordResponse(400, "", response.ContentLength());
    } else {
      response = server->handler_->Handle(MakeRequest(connection, url, method_view, *state));
    }
    return Queue(server, connection, state, std::move(response));
  }

  static HttpRequest MakeRequest(MHD_Connection* connection, const char* url,
                                 std::string_view method, const RequestState& state) {
    HttpRequest request;
    request.method = method;
    request.target = url;
    request.target_bytes = state.target_bytes;
    request.host = Header(connection, MHD_HTTP_HEADER_HOST);
    request.range = Header(connection, MHD_HTTP_HEADER_RANGE);
    request.if_none_match = Header(connection, MHD_HTTP_HEADER_IF_NONE_MATCH);
    request.if_range = Header(connection, MHD_HTTP_HEADER_IF_RANGE);
    request.accept = Header(connection, MHD_HTTP_HEADER_ACCEPT);
    if (auto* c = ConnectionOf(connection)) request.client = c->client;
    size_t head = method.size() + state.target_bytes + 12;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &AddHeaderBytes, &head);
    request.head_bytes = head;
    return request;
  }

  // A plain 200 of a cached file: queue its prepared response, building it on first use.
  static MHD_Result QueuePrepared(MHD_Connection* connection, RequestState* state,
                                  HttpResponse response) {
    std::shared_ptr<void> prepared = std::move(response.prepared);
    if (prepared == nullptr) {
      prepared = PrepareMhdResponse(response);
      if (prepared == nullptr) return MHD_NO;
      response.shared->SetPrepared(response.prepared_variant, prepared);
    }
    state->pin = std::move(response.shared);
    const MHD_Result queued =
        MHD_queue_response(connection, MHD_HTTP_OK, static_cast<MHD_Response*>(prepared.get()));
    state->answered = queued == MHD_YES;
    return queued;
  }

  static MHD_Result Queue(HttpServer* server, MHD_Connection* connection, RequestState* state,
                          HttpResponse response) {
    if (response.prepared_variant >= 0 && response.status == MHD_HTTP_OK && !response.close) {
      return QueuePrepared(connection, state, std::move(response));
    }
    const int status = response.status;
    MHD_Response* mhd = ToMhdResponse(std::move(response), server->handler_,
                                      server->options_.read_chunk_bytes);
    if (mhd == nullptr) return MHD_NO;
    const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(status), mhd);
    MHD_destroy_response(mhd);
    state->answered = queued == MHD_YES;
    return queued;
  }

  static void Completed(void* cls, MHD_Connection* connection, void** con_cls,
                        MHD_RequestTerminationCode code) {
    auto* server = static_cast<HttpServer*>(cls);
    auto* state = static_cast<RequestState*>(*con_cls);
    *con_cls = nullptr;
    if (state != nullptr) {
      if (state->answered) {
        server->metrics_->RecordLatency(absl::ToDoubleSeconds(server->clock_->Now() - state->start));
      } else if (code == MHD_REQUEST_TERMINATED_WITH_ERROR) {
        server->metrics_->RecordRejection(Rejection::kProtocolError);
      }
      delete state;
    }
    if (auto* c = ConnectionOf(connection)) server->tracker_->RequestFinished(c);
  }
};

HttpServer::HttpServer(const GatewayOptions& options, RequestHandler* handler,
                       GatewayMetrics* metrics, env::Clock* clock, env::Scheduler* scheduler)
    : options_(options),
      handler_(handler),
      metrics_(metrics),
      clock_(clock),
      scheduler_(scheduler),
      tracker_(std::make_shared<ConnectionTracker>(options.max_connections,
                                                   options.max_connections_per_ip,
                                                   options.header_timeout, clock)),
      sweeper_(std::make_shared<Sweeper>()) {
  sweeper_->tracker = tracker_;
  sweeper_->metrics = metrics;
  sweeper_->scheduler = scheduler;
  sweeper_->interval = options.sweep_interval;
}

HttpServer::~HttpServer() { Stop(); }

size_t HttpServer::SweepSlowConnections() { return sweeper_->SweepNow(); }

absl::Status HttpServer::Start() {
  if (daemon_ != nullptr) return absl::FailedPreconditionError("already started");
  sockaddr_storage storage{};
  unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
  if (!ParseListenAddress(options_.listen_address, options_.port, &storage)) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address is not an IP address: ", options_.listen_address));
  }
  if (storage.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  daemon_ = MHD_start_daemon(
      flags, options_.port, &MhdCallbacks::Accept, this, &MhdCallbacks::Access, this,
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned int>(options_.threads),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&storage),
      // Backstop only: Accept refuses (and counts) connections over the limit first.
      MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned int>(options_.max_connections + static_cast<size_t>(options_.threads)),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, options_.connection_memory_bytes,
      MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned int>(absl::ToInt64Seconds(options_.idle_timeout)),
      MHD_OPTION_NOTIFY_CONNECTION, &MhdCallbacks::Connection, this,
      MHD_OPTION_NOTIFY_COMPLETED, &MhdCallbacks::Completed, this,
      MHD_OPTION_URI_LOG_CALLBACK, &MhdCallbacks::UriLog, this,
      MHD_OPTION_UNESCAPE_CALLBACK, &MhdCallbacks::Unescape, this,
      MHD_OPTION_EXTERNAL_LOGGER, &MhdCallbacks::Log, this,
      // Reject what RFC 9112 forbids (no Host in HTTP/1.1, bad field lines) with 400.
      MHD_OPTION_STRICT_FOR_CLIENT, 1,
      MHD_OPTION_END);
  if (daemon_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen_address, ":",
                                               options_.port));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info == nullptr ? options_.port : info->port;
  if (scheduler_ != nullptr) Sweeper::Schedule(sweeper_);
  log::Info("gateway_listening").Kv("address", options_.listen_address).Kv("port", port_);
  return absl::OkStatus();
}

void HttpServer::Stop() {
  sweeper_->Stop();
  if (daemon_ == nullptr) return;
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

}  // namespace evermirror::gateway

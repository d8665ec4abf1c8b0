#include "shared/wire/wire_codec.h"

#include "absl/strings/str_cat.h"
#include "shared/base/status_macros.h"

namespace evermirror::wire {
namespace {

WireReaderOptions ReaderOptions(const WireCodecOptions& options) {
  WireReaderOptions reader;
  reader.encrypted = options.encrypted;
  reader.frames = options.frames;
  return reader;
}

WireWriterOptions WriterOptions(const WireCodecOptions& options) {
  WireWriterOptions writer;
  writer.encrypted = options.encrypted;
  writer.nonce = options.nonce;
  return writer;
}

}  // namespace

absl::Status WireCodecOptions::Validate() const {
  if (keep_alive_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("keep_alive_timeout must not be negative");
  }
  if (frames.max_message_size == 0 || frames.max_channels == 0) {
    return absl::InvalidArgumentError("frame limits must be positive");
  }
  return absl::OkStatus();
}

WireCodec::WireCodec(const WireCodecOptions& options, env::Clock* clock)
    : reader_(ReaderOptions(options)),
      writer_(WriterOptions(options)),
      keep_alive_(clock, options.keep_alive_timeout) {}

absl::Status WireCodec::Sent(absl::Status status) {
  if (status.ok()) keep_alive_.OnSent();
  return status;
}

absl::Status WireCodec::Receive(char* data, size_t n, FrameHandler on_frame) {
  if (n > 0) keep_alive_.OnReceived();
  return reader_.Consume(data, n, on_frame);
}

absl::Status WireCodec::WriteFeed(uint64_t channel, const crypto::PublicKey& key, std::string* out) {
  if (!writer_.started()) EM_RETURN_IF_ERROR(reader_.SetKey(key));
  return Sent(writer_.WriteFeed(channel, key, out));
}

absl::Status WireCodec::Poll(std::string* out) {
  const KeepAlive::Due due = keep_alive_.Poll();
  if (due.timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("remote sent nothing for ", absl::FormatDuration(keep_alive_.timeout_after())));
  }
  if (due.send_keep_alive) {
    // Like the reference, nothing is sent before the first Feed, but the idle timer restarts.
    if (writer_.started()) EM_RETURN_IF_ERROR(writer_.WriteKeepAlive(out));
    keep_alive_.OnSent();
  }
  return absl::OkStatus();
}

}  // namespace evermirror::wire

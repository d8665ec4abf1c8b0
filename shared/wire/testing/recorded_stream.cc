#include "shared/wire/testing/recorded_stream.h"

#include <algorithm>

#include "shared/base/status_macros.h"
#include "shared/env/random.h"
#include "shared/wire/messages.h"
#include "shared/wire/wire_reader.h"
#include "shared/wire/wire_writer.h"

namespace evermirror::wire::testing {
namespace {

OwnedFrame Own(const Frame& frame) {
  return OwnedFrame{frame.kind, frame.channel, frame.type, std::string(frame.payload), std::string(frame.body)};
}

template <typename M>
absl::Status WriteTyped(WireWriter& writer, const OwnedFrame& frame, std::string* out) {
  M message;
  EM_RETURN_IF_ERROR(DecodeMessage(frame.body, &message));
  return writer.Write(frame.channel, message, out);
}

absl::Status WriteMessage(WireWriter& writer, const OwnedFrame& frame, std::string* out) {
  switch (static_cast<MessageType>(frame.type)) {
    case MessageType::kFeed: return WriteTyped<v1::Feed>(writer, frame, out);
    case MessageType::kHandshake: return WriteTyped<v1::Handshake>(writer, frame, out);
    case MessageType::kInfo: return WriteTyped<v1::Info>(writer, frame, out);
    case MessageType::kHave: return WriteTyped<v1::Have>(writer, frame, out);
    case MessageType::kUnhave: return WriteTyped<v1::Unhave>(writer, frame, out);
    case MessageType::kWant: return WriteTyped<v1::Want>(writer, frame, out);
    case MessageType::kUnwant: return WriteTyped<v1::Unwant>(writer, frame, out);
    case MessageType::kRequest: return WriteTyped<v1::Request>(writer, frame, out);
    case MessageType::kCancel: return WriteTyped<v1::Cancel>(writer, frame, out);
    case MessageType::kData: return WriteTyped<v1::Data>(writer, frame, out);
    case MessageType::kExtension: {
      EM_ASSIGN_OR_RETURN(const Extension ext, DecodeExtension(frame.body));
      return writer.WriteExtension(frame.channel, ext.index, ext.payload, out);
    }
  }
  return writer.WriteRawFrame(frame.payload, out);  // types 10..14
}

}  // namespace

absl::StatusOr<RecordedStream> ParseRecordedStream(std::string_view file) {
  if (file.size() < kRecordedHeaderSize) return absl::InvalidArgumentError("recorded stream: short header");
  RecordedStream stream;
  stream.encrypted = file[0] & 1;
  stream.key = crypto::ToArray<crypto::kPublicKeySize>(file.substr(1, crypto::kPublicKeySize));
  stream.bytes = std::string(file.substr(kRecordedHeaderSize));
  return stream;
}

std::string SerializeRecordedStream(const RecordedStream& stream) {
  std::string file(1, stream.encrypted ? '\x01' : '\x00');
  file += crypto::AsView(stream.key);
  file += stream.bytes;
  return file;
}

DecodedStream DecodeStream(const RecordedStream& stream, const DecodeOptions& options) {
  WireReaderOptions reader_options;
  reader_options.encrypted = stream.encrypted;
  reader_options.frames = options.frames;
  if (options.key_timing == KeyTiming::kUpFront) reader_options.key = stream.key;
  WireReader reader(reader_options);
  DecodedStream decoded;
  auto on_frame = [&](const Frame& frame) -> absl::Status {
    decoded.frames.push_back(Own(frame));
    if (options.key_timing == KeyTiming::kInHandler && reader.needs_key()) return reader.SetKey(stream.key);
    return absl::OkStatus();
  };
  std::string buffer = stream.bytes;  // decrypted in place
  env::SeededRandom random(options.chunk_seed);
  size_t pos = 0;
  while (pos < buffer.size() && decoded.status.ok()) {
    size_t n = buffer.size() - pos;
    if (options.chunk_seed != 0) n = std::min<size_t>(n, 1 + random.Uniform(options.chunk_max));
    decoded.status = reader.Consume(buffer.data() + pos, n, on_frame);
    pos += n;
    if (decoded.status.ok() && reader.needs_key() && options.key_timing == KeyTiming::kLater) {
      decoded.status = reader.SetKey(stream.key);
      if (decoded.status.ok()) decoded.status = reader.Resume(on_frame);
    }
  }
  decoded.nonce = reader.remote_nonce();
  decoded.at_frame_boundary = reader.at_frame_boundary();
  return decoded;
}

absl::StatusOr<std::string> ReencodeStream(const RecordedStream& stream, const DecodedStream& decoded) {
  WireWriterOptions options;
  options.encrypted = stream.encrypted;
  options.nonce = decoded.nonce;
  WireWriter writer(options);
  std::string out;
  for (const OwnedFrame& frame : decoded.frames) {
    if (!writer.started()) {
      if (frame.kind != FrameKind::kMessage) {
        return absl::FailedPreconditionError("cannot re-encode frames before the first Feed");
      }
      EM_RETURN_IF_ERROR(writer.WriteFeed(frame.channel, stream.key, &out));
    } else if (frame.kind == FrameKind::kKeepAlive) {
      EM_RETURN_IF_ERROR(writer.WriteKeepAlive(&out));
    } else if (frame.kind == FrameKind::kHeaderOnly) {
      EM_RETURN_IF_ERROR(writer.WriteRawFrame(frame.payload, &out));
    } else {
      EM_RETURN_IF_ERROR(WriteMessage(writer, frame, &out));
    }
  }
  return out;
}

}  // namespace evermirror::wire::testing

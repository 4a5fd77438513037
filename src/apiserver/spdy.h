#pragma once
// SPDY/3.1 framing, as far as the Kubernetes streaming protocols use it (kubectl port-forward
// tunnels a SPDY session through a WebSocket): frames cut from a byte stream, the frames a
// server sends, and header blocks compressed on one zlib stream per direction with the SPDY
// dictionary. No flow control: Kubernetes' SPDY peers (spdystream) neither send nor honour
// WINDOW_UPDATE, so back-pressure comes from the transport.
// Thread-safety: none; each object belongs to one session, which serialises its use.

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mlkube::apiserver::spdy {

extern const std::string_view kHeaderDictionary;

enum ControlType : uint16_t {
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

constexpr uint8_t kFlagFin = 0x01;

// RST_STREAM status codes.
enum RstStatus : uint32_t { kProtocolError = 1, kInvalidStream = 2, kRefusedStream = 3, kCancel = 5 };
// GOAWAY status codes.
enum GoAwayStatus : uint32_t { kGoAwayOk = 0, kGoAwayProtocolError = 1 };

struct Frame {
  bool control = false;
  uint16_t type = 0;   // control frames
  uint8_t flags = 0;
  uint32_t stream_id = 0;  // data frames only; a control frame's is in its payload
  std::string payload;     // everything after the 8-byte frame header
};

// Cuts frames out of a byte stream whose chunks may end anywhere.
class FrameReader {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole frame, nullopt until one has arrived; an error for a frame no SPDY/3 peer
  // sends (another version), after which the session must end.
  Result<std::optional<Frame>> Next();

 private:
  std::string buffer_;
  size_t offset_ = 0;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of header `name` (lower case, as SPDY sends names), or "".
std::string HeaderValue(const Headers& headers, std::string_view name);

// One direction's header compression context: every header block of a session continues the
// same zlib stream, so blocks must be compressed in the order they are sent.
class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;
  // The compressed block; empty if zlib failed (out of memory), which ends the session.
  std::string Compress(const Headers& headers);

 private:
  z_stream z_{};
  bool ok_ = false;
};

class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;
  Result<Headers> Decompress(std::string_view block);

 private:
  z_stream z_{};
  bool ok_ = false;
};

// The fixed fields of the control frames that carry header blocks.
struct SynStream {
  uint32_t stream_id = 0;
  uint32_t associated_id = 0;
  std::string_view header_block;  // compressed; points into the frame's payload
};
Result<SynStream> ParseSynStream(const Frame& frame);
// SYN_REPLY and HEADERS: a stream id, then the header block.
struct HeaderFrame {
  uint32_t stream_id = 0;
  std::string_view header_block;
};
Result<HeaderFrame> ParseHeaders(const Frame& frame);
// The stream a SYN_REPLY, RST_STREAM, HEADERS or WINDOW_UPDATE frame names, or a PING's id.
Result<uint32_t> FirstWord(const Frame& frame);

// Frames, serialised.
std::string DataFrame(uint32_t stream_id, uint8_t flags, std::string_view data);
std::string SynStreamFrame(uint32_t stream_id, uint8_t flags, std::string_view compressed_headers);
std::string SynReplyFrame(uint32_t stream_id, uint8_t flags, std::string_view compressed_headers);
std::string RstStreamFrame(uint32_t stream_id, RstStatus status);
std::string PingFrame(uint32_t id);
std::string GoAwayFrame(uint32_t last_good_stream_id, GoAwayStatus status);

}  // namespace mlkube::apiserver::spdy

#include "apiserver/spdy.h"

#include <cstring>

namespace mlkube::apiserver::spdy {
namespace {

constexpr uint16_t kVersion = 3;
constexpr size_t kFrameHeader = 8;
// A header block that inflates past this is refused: Kubernetes' streams carry a handful of
// short headers, and a zlib stream can otherwise expand a small frame without bound.
constexpr size_t kMaxHeaderBlock = 256 * 1024;

uint32_t Word(std::string_view s, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void PutWord(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out.append(b, 4);
}

// The 8-byte header: for control frames the version and type, for data frames the stream,
// then the flags and a 24-bit length.
std::string Header(uint32_t first_word, uint8_t flags, size_t length) {
  std::string out;
  out.reserve(kFrameHeader + length);
  PutWord(out, first_word);
  PutWord(out, (uint32_t{flags} << 24) | static_cast<uint32_t>(length));
  return out;
}

std::string Control(ControlType type, uint8_t flags, std::string_view payload) {
  std::string out = Header(0x80000000u | (uint32_t{kVersion} << 16) | type, flags, payload.size());
  out.append(payload);
  return out;
}

}  // namespace

Result<std::optional<Frame>> FrameReader::Next() {
  const std::string_view rest = std::string_view(buffer_).substr(offset_);
  if (rest.size() < kFrameHeader) return std::optional<Frame>();
  const uint32_t first = Word(rest, 0), second = Word(rest, 4);
  const size_t length = second & 0xffffff;
  if (rest.size() < kFrameHeader + length) return std::optional<Frame>();
  Frame f;
  f.control = (first & 0x80000000u) != 0;
  f.flags = static_cast<uint8_t>(second >> 24);
  if (f.control) {
    const uint16_t version = (first >> 16) & 0x7fff;
    if (version != kVersion) return Status(Code::kBadRequest, "unsupported SPDY version " + std::to_string(version));
    f.type = static_cast<uint16_t>(first & 0xffff);
  } else {
    f.stream_id = first & 0x7fffffffu;
  }
  f.payload.assign(rest.substr(kFrameHeader, length));
  offset_ += kFrameHeader + length;
  // Compact once the consumed prefix dominates, so the buffer stays about one frame long.
  if (offset_ > 65536 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return std::optional<Frame>(std::move(f));
}

std::string HeaderValue(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "";
}

HeaderCompressor::HeaderCompressor() {
  ok_ = deflateInit(&z_, Z_DEFAULT_COMPRESSION) == Z_OK &&
        deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(kHeaderDictionary.data()),
                             static_cast<uInt>(kHeaderDictionary.size())) == Z_OK;
}

HeaderCompressor::~HeaderCompressor() { deflateEnd(&z_); }

std::string HeaderCompressor::Compress(const Headers& headers) {
  std::string plain;
  PutWord(plain, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    PutWord(plain, static_cast<uint32_t>(name.size()));
    plain += name;
    PutWord(plain, static_cast<uint32_t>(value.size()));
    plain += value;
  }
  std::string out;
  if (!ok_) return out;
  z_.next_in = reinterpret_cast<Bytef*>(plain.data());
  z_.avail_in = static_cast<uInt>(plain.size());
  // A sync flush ends each block on a byte boundary, so the peer can inflate it whole.
  do {
    char chunk[1024];
    z_.next_out = reinterpret_cast<Bytef*>(chunk);
    z_.avail_out = sizeof chunk;
    if (deflate(&z_, Z_SYNC_FLUSH) == Z_STREAM_ERROR) {
      ok_ = false;
      return "";
    }
    out.append(chunk, sizeof chunk - z_.avail_out);
  } while (z_.avail_out == 0);
  return out;
}

HeaderDecompressor::HeaderDecompressor() { ok_ = inflateInit(&z_) == Z_OK; }

HeaderDecompressor::~HeaderDecompressor() { inflateEnd(&z_); }

Result<Headers> HeaderDecompressor::Decompress(std::string_view block) {
  if (!ok_) return Status(Code::kInternal, "SPDY header block: zlib could not start");
  std::string plain;
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  z_.avail_in = static_cast<uInt>(block.size());
  do {
    char chunk[4096];
    z_.next_out = reinterpret_cast<Bytef*>(chunk);
    z_.avail_out = sizeof chunk;
    int rc = inflate(&z_, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      rc = inflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(kHeaderDictionary.data()),
                                static_cast<uInt>(kHeaderDictionary.size()));
    }
    plain.append(chunk, sizeof chunk - z_.avail_out);
    if (plain.size() > kMaxHeaderBlock) return Status(Code::kBadRequest, "SPDY header block too large");
    if (rc == Z_BUF_ERROR) break;  // no progress possible: the input is used up
    if (rc != Z_OK) {
      return Status(Code::kBadRequest, std::string("SPDY header block: ") + (z_.msg ? z_.msg : "bad zlib data"));
    }
  } while (z_.avail_in > 0 || z_.avail_out == 0);
  const std::string_view p = plain;
  auto bad = [] { return Status(Code::kBadRequest, "SPDY header block: truncated"); };
  if (p.size() < 4) return bad();
  const uint32_t count = Word(p, 0);
  size_t at = 4;
  Headers headers;
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view kv[2];
    for (std::string_view& part : kv) {
      if (p.size() - at < 4) return bad();
      const uint32_t len = Word(p, at);
      at += 4;
      if (p.size() - at < len) return bad();
      part = p.substr(at, len);
      at += len;
    }
    headers.emplace_back(kv[0], kv[1]);
  }
  return headers;
}

Result<SynStream> ParseSynStream(const Frame& frame) {
  if (frame.payload.size() < 10) return Status(Code::kBadRequest, "SPDY SYN_STREAM frame too short");
  SynStream s;
  s.stream_id = Word(frame.payload, 0) & 0x7fffffffu;
  s.associated_id = Word(frame.payload, 4) & 0x7fffffffu;
  s.header_block = std::string_view(frame.payload).substr(10);
  return s;
}

Result<HeaderFrame> ParseHeaders(const Frame& frame) {
  if (frame.payload.size() < 4) return Status(Code::kBadRequest, "SPDY header frame too short");
  return HeaderFrame{Word(frame.payload, 0) & 0x7fffffffu, std::string_view(frame.payload).substr(4)};
}

Result<uint32_t> FirstWord(const Frame& frame) {
  if (frame.payload.size() < 4) return Status(Code::kBadRequest, "SPDY control frame too short");
  return Word(frame.payload, 0) & 0x7fffffffu;
}

std::string DataFrame(uint32_t stream_id, uint8_t flags, std::string_view data) {
  std::string out = Header(stream_id & 0x7fffffffu, flags, data.size());
  out.append(data);
  return out;
}

std::string SynStreamFrame(uint32_t stream_id, uint8_t flags, std::string_view compressed_headers) {
  std::string payload;
  PutWord(payload, stream_id);
  PutWord(payload, 0);          // associated stream
  payload.append(2, '\0');      // priority and slot
  payload.append(compressed_headers);
  return Control(kSynStream, flags, payload);
}

std::string SynReplyFrame(uint32_t stream_id, uint8_t flags, std::string_view compressed_headers) {
  std::string payload;
  PutWord(payload, stream_id);
  payload.append(compressed_headers);
  return Control(kSynReply, flags, payload);
}

std::string RstStreamFrame(uint32_t stream_id, RstStatus status) {
  std::string payload;
  PutWord(payload, stream_id);
  PutWord(payload, status);
  return Control(kRstStream, 0, payload);
}

std::string PingFrame(uint32_t id) {
  std::string payload;
  PutWord(payload, id);
  return Control(kPing, 0, payload);
}

std::string GoAwayFrame(uint32_t last_good_stream_id, GoAwayStatus status) {
  std::string payload;
  PutWord(payload, last_good_stream_id);
  PutWord(payload, status);
  return Control(kGoAway, 0, payload);
}

}  // namespace mlkube::apiserver::spdy

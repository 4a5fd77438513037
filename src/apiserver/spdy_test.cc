#include "apiserver/spdy.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace mlkube::apiserver::spdy {
namespace {

TEST(SpdyTest, DictionaryIsTheOneEveryPeerNamesInItsZlibHeader) {
  EXPECT_EQ(kHeaderDictionary.size(), 1423u);
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(kHeaderDictionary.data()),
                    static_cast<uInt>(kHeaderDictionary.size())),
            0xe3c6a7c2u);
}

TEST(SpdyTest, HeaderBlocksShareOneCompressionStreamPerDirection) {
  HeaderCompressor out;
  HeaderDecompressor in;
  const Headers first = {{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}};
  const Headers second = {{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}};
  const std::string a = out.Compress(first), b = out.Compress(second), c = out.Compress({});
  // The first block starts the zlib stream with the dictionary's id; later ones continue it.
  ASSERT_GE(a.size(), 6u);
  EXPECT_EQ(static_cast<unsigned char>(a[1]) & 0x20, 0x20);  // FDICT
  EXPECT_EQ(a.substr(2, 4), std::string("\xe3\xc6\xa7\xc2", 4));
  EXPECT_LT(b.size(), a.size());  // the repeated names come back as references
  auto got = in.Decompress(a);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, first);
  got = in.Decompress(b);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, second);
  EXPECT_EQ(HeaderValue(*got, "streamtype"), "data");
  EXPECT_EQ(HeaderValue(*got, "missing"), "");
  got = in.Decompress(c);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());

  // A block that inflates to exactly the decompressor's chunk size, and a large one.
  for (size_t value : {4083u, 100000u}) {
    const Headers big = {{"a", std::string(value, 'v')}};
    got = in.Decompress(out.Compress(big));
    ASSERT_TRUE(got.ok()) << value;
    EXPECT_EQ(*got, big);
  }

  // Out of step (a block of another stream) or garbage: an error, never a crash.
  HeaderDecompressor fresh;
  EXPECT_FALSE(fresh.Decompress(b).ok());
  HeaderDecompressor junk;
  EXPECT_FALSE(junk.Decompress("not zlib at all").ok());
}

TEST(SpdyTest, FramesAreCutFromAStreamSplitAnywhere) {
  HeaderCompressor hc;
  const std::string wire = SynStreamFrame(1, 0, hc.Compress({{"streamtype", "data"}})) +
                           DataFrame(1, 0, "hello") + DataFrame(1, kFlagFin, "") + PingFrame(7) +
                           RstStreamFrame(1, kCancel);
  for (size_t step : {1u, 3u, 8u, 1000u}) {
    FrameReader r;
    std::vector<Frame> frames;
    for (size_t at = 0; at < wire.size(); at += step) {
      r.Feed(std::string_view(wire).substr(at, step));
      while (true) {
        auto f = r.Next();
        ASSERT_TRUE(f.ok());
        if (!*f) break;
        frames.push_back(std::move(**f));
      }
    }
    ASSERT_EQ(frames.size(), 5u) << "step " << step;
    EXPECT_TRUE(frames[0].control);
    EXPECT_EQ(frames[0].type, kSynStream);
    auto syn = ParseSynStream(frames[0]);
    ASSERT_TRUE(syn.ok());
    EXPECT_EQ(syn->stream_id, 1u);
    HeaderDecompressor hd;
    auto headers = hd.Decompress(syn->header_block);
    ASSERT_TRUE(headers.ok());
    EXPECT_EQ(HeaderValue(*headers, "streamtype"), "data");
    EXPECT_FALSE(frames[1].control);
    EXPECT_EQ(frames[1].stream_id, 1u);
    EXPECT_EQ(frames[1].payload, "hello");
    EXPECT_EQ(frames[2].flags, kFlagFin);
    EXPECT_EQ(frames[3].type, kPing);
    EXPECT_EQ(*FirstWord(frames[3]), 7u);
    EXPECT_EQ(frames[4].type, kRstStream);
    EXPECT_EQ(*FirstWord(frames[4]), 1u);
  }
}

TEST(SpdyTest, RejectsOtherVersionsAndShortFrames) {
  FrameReader r;
  r.Feed(std::string("\x80\x02\x00\x01\x00\x00\x00\x00", 8));  // a SPDY/2 SYN_STREAM
  EXPECT_FALSE(r.Next().ok());
  Frame short_syn{true, kSynStream, 0, 0, "abc"};
  EXPECT_FALSE(ParseSynStream(short_syn).ok());
  Frame short_ping{true, kPing, 0, 0, "ab"};
  EXPECT_FALSE(FirstWord(short_ping).ok());
}

}  // namespace
}  // namespace mlkube::apiserver::spdy

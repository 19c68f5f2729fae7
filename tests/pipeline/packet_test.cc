#include "pipeline/packet.h"

#include <gtest/gtest.h>

#include <string>

namespace demo {
struct Frame {
  int width = 0;
};
}  // namespace demo
FACEKIT_PIPELINE_PACKET_TYPE(demo::Frame, "Frame");

namespace facekit::pipeline {
namespace {

TEST(PipelinePacket, HoldsTypedPayloadAndTimestamp) {
  Packet p = Packet::Make(demo::Frame{640}, 1234);
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.timestamp(), 1234);
  EXPECT_EQ(p.type_name(), "Frame");
  ASSERT_NE(p.Get<demo::Frame>(), nullptr);
  EXPECT_EQ(p.Get<demo::Frame>()->width, 640);
}

TEST(PipelinePacket, GetOfAnotherTypeIsNullAndGetOrNamesBothTypes) {
  Packet p = Packet::Make<std::int64_t>(7, 5);
  EXPECT_EQ(p.Get<demo::Frame>(), nullptr);
  EXPECT_EQ(p.Get<double>(), nullptr);
  auto bad = p.GetOr<demo::Frame>();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "packet at 5 holds Int64, expected Frame");
  auto good = p.GetOr<std::int64_t>();
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(**good, 7);
}

TEST(PipelinePacket, EmptyPacketHoldsNothing) {
  Packet p;
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.type_name(), "");
  EXPECT_EQ(p.Get<std::int64_t>(), nullptr);
  EXPECT_EQ(p.GetOr<std::string>().status().message(), "packet at 0 holds nothing, expected String");
}

TEST(PipelinePacket, CopiesShareThePayloadAndAtRetimestamps) {
  Packet a = Packet::Make(std::string("hello"), 1);
  Packet b = a.At(99);
  EXPECT_EQ(a.timestamp(), 1);
  EXPECT_EQ(b.timestamp(), 99);
  EXPECT_EQ(a.Get<std::string>(), b.Get<std::string>());  // same object, no copy
}

}  // namespace
}  // namespace facekit::pipeline

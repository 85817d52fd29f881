#include "learner/event_writer.h"

#include <cstring>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "proto/tensorboard.pb.h"
#include "tests/test_util.h"

namespace fleet::learner {
namespace {

TEST(Crc32cTest, KnownVectors) {
  const std::string digits = "123456789";
  EXPECT_EQ(Crc32c({reinterpret_cast<const uint8_t*>(digits.data()), digits.size()}),
            0xE3069283u);  // the CRC-32C check value
  const uint8_t zeros[32] = {};
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);  // RFC 3720, 32 bytes of zeros
}

TEST(EventWriterTest, WritesFramedEventsThatParseBack) {
  testing::TempDir dir;
  auto w = EventWriter::Create(dir.path());
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->WriteScalars(1024, {{"charts/a", 1.5}, {"losses/b", -2.0}}).ok());
  std::ifstream in((*w)->path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  size_t pos = 0;
  std::vector<tensorboard::Event> events;
  while (pos < bytes.size()) {
    ASSERT_LE(pos + 12, bytes.size());
    uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len |= uint64_t{static_cast<uint8_t>(bytes[pos + i])} << (8 * i);
    uint32_t len_crc = 0, data_crc = 0;
    std::memcpy(&len_crc, bytes.data() + pos + 8, 4);
    EXPECT_EQ(len_crc, MaskedCrc32c({reinterpret_cast<const uint8_t*>(bytes.data() + pos), 8}));
    const std::string data = bytes.substr(pos + 12, len);
    std::memcpy(&data_crc, bytes.data() + pos + 12 + len, 4);
    EXPECT_EQ(data_crc, MaskedCrc32c({reinterpret_cast<const uint8_t*>(data.data()), data.size()}));
    tensorboard::Event e;
    ASSERT_TRUE(e.ParseFromString(data));
    events.push_back(e);
    pos += 12 + len + 4;
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_EQ(events[1].step(), 1024);
  ASSERT_EQ(events[1].summary().value_size(), 2);
  EXPECT_EQ(events[1].summary().value(0).tag(), "charts/a");
  EXPECT_FLOAT_EQ(events[1].summary().value(1).simple_value(), -2.0f);
}

}  // namespace
}  // namespace fleet::learner

// Writes TensorBoard event files: TFRecord framing (little-endian length, masked CRC32C
// of the length, the serialized Event, masked CRC32C of the data) around Event protos
// with scalar summaries. One file per run directory:
// RUN_DIR/events.out.tfevents.<unix seconds>.<host>. Plain C++; not thread-safe.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/crc32c.h"
#include "common/status.h"

namespace fleet::learner {

using fleet::Crc32c;
// TFRecord's masking of the CRC-32C (common/crc32c.h).
uint32_t MaskedCrc32c(std::span<const uint8_t> data);

class EventWriter {
 public:
  static StatusOr<std::unique_ptr<EventWriter>> Create(const std::string& dir);
  // One Event at `step` holding every (tag, value) pair; flushed to disk.
  Status WriteScalars(int64_t step, const std::vector<std::pair<std::string, double>>& scalars);
  const std::string& path() const { return path_; }

 private:
  EventWriter(std::string path, std::ofstream out) : path_(std::move(path)), out_(std::move(out)) {}
  Status WriteRecord(const std::string& data);

  std::string path_;
  std::ofstream out_;
};

}  // namespace fleet::learner

// libFuzzer target: a write-ahead log's bytes (a crash, a bad disk, an editor). Reading
// must never crash, and what it reports must add up: every damaged range and the end of
// the last good record inside the file, ranges in order and apart, and a torn tail only
// at the end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "replay/wal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto wal = fleet::replay::ParseWal(bytes, "fuzz");
  if (!wal.ok()) return 0;
  if (wal->valid_bytes > size || wal->file_bytes != size) std::abort();
  uint64_t last_end = 0;
  for (const auto& d : wal->damage) {
    if (d.begin >= d.end || d.end > size || d.begin < last_end) std::abort();
    last_end = d.end;
  }
  if (wal->torn_tail && wal->valid_bytes >= size) std::abort();
  for (const auto& c : wal->chunks) {
    if (c.size() > size) std::abort();
  }
  return 0;
}

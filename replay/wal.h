// The store's write-ahead log: one segment per open shard, DIR/wal-NNNNN.log. A segment
// starts with a checkpoint record (proto::WalCheckpoint: dedup state and open episodes at
// the moment the shard opened) followed by one record per accepted chunk, holding the
// bytes the actor sent. A record is
//   u32 sync marker | u32 length of (type + payload) | u32 CRC-32C of (type + payload) |
//   u8 type | payload
// little-endian. A chunk is acknowledged only after its record is written (write(2):
// survives a kill of the process; with fsync also a power loss), so after a crash the
// segment replays into exactly the acknowledged state.
// Reading tells two kinds of bad bytes apart:
// - a torn tail: the last record runs past the end of the file and nothing readable
//   follows it (the crash hit mid-write, so that chunk was never acknowledged); cut off.
// - damage: a record that is whole but fails its CRC, or bad bytes with readable records
//   after them. Acknowledged chunks are lost there. The reader resynchronises on the
//   next sync marker that starts a record with a good CRC, so the chunks after the
//   damage are kept, and it reports every damaged byte range.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "proto/fleet.pb.h"

namespace fleet::replay {

class WalWriter {
 public:
  // Writes a new segment at `path` holding only `checkpoint`, atomically (written as
  // path.tmp, synced, renamed), and opens it for appending.
  static StatusOr<std::unique_ptr<WalWriter>> Create(const std::string& path,
                                                     const proto::WalCheckpoint& checkpoint,
                                                     bool fsync);
  // Opens an existing segment for appending after its first `valid_bytes` (the rest, a
  // torn record, is truncated away).
  static StatusOr<std::unique_ptr<WalWriter>> Reopen(const std::string& path,
                                                     uint64_t valid_bytes, bool fsync);
  ~WalWriter();

  Status AppendChunk(std::string_view chunk_bytes);
  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }

 private:
  WalWriter(std::string path, int fd, uint64_t bytes, bool fsync)
      : path_(std::move(path)), fd_(fd), bytes_(bytes), fsync_(fsync) {}
  std::string path_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  bool fsync_ = false;
};

struct WalDamage {
  uint64_t begin = 0, end = 0;  // byte range [begin, end) skipped
};

struct WalContents {
  proto::WalCheckpoint checkpoint;
  std::vector<std::string> chunks;  // in the order they were accepted
  uint64_t valid_bytes = 0;         // up to the end of the last whole record
  bool torn_tail = false;           // bytes after valid_bytes that are not a whole record
  std::vector<WalDamage> damage;    // bad records inside the log (acknowledged data lost)
  uint64_t file_bytes = 0;
  bool legacy_format = false;       // format 1, before sync markers (recovery rewrites it)
  bool damaged() const { return !damage.empty(); }
  uint64_t damaged_bytes() const;
  // "N damaged byte range(s), B bytes: [a, b), ..." for messages
  std::string DescribeDamage() const;
};

// Reads a segment. DataLoss if it does not start with a whole checkpoint record (also a
// log of an older format, without sync markers); damage inside is reported in the
// contents, not as an error: the caller decides (the store keeps what is readable and
// fails loudly).
StatusOr<WalContents> ReadWal(const std::string& path);
// The same from the bytes of a log (`name` for messages); the fuzz target's entry.
StatusOr<WalContents> ParseWal(std::string_view data, const std::string& name);

// Writes a whole segment (the checkpoint, then the chunks) as path.tmp, fsyncs it and
// renames it over `path`: a log is replaced by one holding the same chunks or not at all.
Status WriteWalFile(const std::string& path, const proto::WalCheckpoint& checkpoint,
                    const std::vector<std::string>& chunks);

// Encodes one record (exposed for tests).
std::string EncodeWalRecord(uint8_t type, std::string_view payload);
inline constexpr uint8_t kWalCheckpoint = 1;
inline constexpr uint8_t kWalChunk = 2;
inline constexpr uint32_t kWalSync = 0x7A11F1EE;
inline constexpr size_t kWalRecordHeader = 13;  // sync, length, CRC, type
// no record is longer (chunks are at most 2 GiB - 1, protobuf's limit); a longer length is
// damage, not a record cut short
inline constexpr uint32_t kWalMaxRecord = 0x7FFFFFFFu;

}  // namespace fleet::replay

#include "replay/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "common/crc32c.h"

namespace fleet::replay {
namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

Status WriteAll(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("cannot write the log '" + path + "': " + std::strerror(errno));
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return OkStatus();
}

// a record's length, CRC and type byte; the payload follows.
std::string RecordHeader(uint8_t type, std::string_view payload) {
  const uint8_t t = type;
  uint32_t crc = Crc32c({&t, 1});
  crc = Crc32cExtend(crc, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
  std::string head;
  PutU32(head, kWalSync);
  PutU32(head, static_cast<uint32_t>(payload.size() + 1));
  PutU32(head, crc);
  head.push_back(static_cast<char>(type));
  return head;
}

// the header and payload in one write(2) for small records, two otherwise.
Status WriteRecord(int fd, uint8_t type, std::string_view payload, const std::string& path) {
  std::string head = RecordHeader(type, payload);
  if (payload.size() < 4096) {
    head.append(payload);
    return WriteAll(fd, head.data(), head.size(), path);
  }
  FLEET_RETURN_IF_ERROR(WriteAll(fd, head.data(), head.size(), path));
  return WriteAll(fd, payload.data(), payload.size(), path);
}

}  // namespace

std::string EncodeWalRecord(uint8_t type, std::string_view payload) {
  return RecordHeader(type, payload).append(payload);
}

StatusOr<std::unique_ptr<WalWriter>> WalWriter::Create(const std::string& path,
                                                       const proto::WalCheckpoint& checkpoint,
                                                       bool fsync) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return UnavailableError("cannot create the log '" + tmp + "': " + std::strerror(errno));
  const std::string payload = checkpoint.SerializeAsString();
  Status st = WriteRecord(fd, kWalCheckpoint, payload, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = UnavailableError("cannot sync the log '" + tmp + "'");
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = UnavailableError("cannot rename the log into '" + path + "'");
  }
  if (!st.ok()) {
    ::close(fd);
    return st;
  }
  return std::unique_ptr<WalWriter>(new WalWriter(path, fd, payload.size() + kWalRecordHeader, fsync));
}

Status WriteWalFile(const std::string& path, const proto::WalCheckpoint& checkpoint,
                    const std::vector<std::string>& chunks) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return UnavailableError("cannot create the log '" + tmp + "': " + std::strerror(errno));
  Status st = WriteRecord(fd, kWalCheckpoint, checkpoint.SerializeAsString(), tmp);
  for (size_t i = 0; st.ok() && i < chunks.size(); ++i) st = WriteRecord(fd, kWalChunk, chunks[i], tmp);
  if (st.ok() && ::fsync(fd) != 0) {
    st = UnavailableError("cannot sync the log '" + tmp + "': " + std::strerror(errno));
  }
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = UnavailableError("cannot rename the log into '" + path + "': " + std::strerror(errno));
  }
  return st;
}

StatusOr<std::unique_ptr<WalWriter>> WalWriter::Reopen(const std::string& path,
                                                       uint64_t valid_bytes, bool fsync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return UnavailableError("cannot open the log '" + path + "': " + std::strerror(errno));
  if (::ftruncate(fd, static_cast<off_t>(valid_bytes)) != 0 ||
      ::lseek(fd, 0, SEEK_END) != static_cast<off_t>(valid_bytes)) {
    ::close(fd);
    return UnavailableError("cannot truncate the log '" + path + "'");
  }
  return std::unique_ptr<WalWriter>(new WalWriter(path, fd, valid_bytes, fsync));
}

WalWriter::~WalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status WalWriter::AppendChunk(std::string_view chunk_bytes) {
  FLEET_RETURN_IF_ERROR(WriteRecord(fd_, kWalChunk, chunk_bytes, path_));
  bytes_ += chunk_bytes.size() + kWalRecordHeader;
  if (fsync_ && ::fdatasync(fd_) != 0) return UnavailableError("cannot sync the log '" + path_ + "'");
  return OkStatus();
}

uint64_t WalContents::damaged_bytes() const {
  uint64_t n = 0;
  for (const auto& d : damage) n += d.end - d.begin;
  return n;
}

std::string WalContents::DescribeDamage() const {
  std::string out = std::to_string(damage.size()) + " damaged byte range(s), " +
                    std::to_string(damaged_bytes()) + " bytes:";
  for (size_t i = 0; i < damage.size() && i < 8; ++i) {
    out += " [" + std::to_string(damage[i].begin) + ", " + std::to_string(damage[i].end) + ")";
  }
  if (damage.size() > 8) out += " ...";
  return out;
}

namespace {

enum class RecordAt { kGood, kIncomplete, kBad };

// What starts at `pos`: a whole record with a good CRC, one that runs past the end of
// the data (or a header cut short), or bad bytes.
RecordAt Probe(std::string_view data, size_t pos, uint32_t* len) {
  if (pos + kWalRecordHeader > data.size()) {
    // a header cut short: torn only if what is there is the start of a sync marker
    std::string sync;
    PutU32(sync, kWalSync);
    const size_t n = std::min<size_t>(4, data.size() - pos);
    return data.compare(pos, n, sync, 0, n) == 0 ? RecordAt::kIncomplete : RecordAt::kBad;
  }
  if (GetU32(data.data() + pos) != kWalSync) return RecordAt::kBad;
  *len = GetU32(data.data() + pos + 4);
  if (*len == 0 || *len > kWalMaxRecord) return RecordAt::kBad;
  if (pos + 12 + uint64_t{*len} > data.size()) return RecordAt::kIncomplete;
  const auto* body = reinterpret_cast<const uint8_t*>(data.data() + pos + 12);
  return Crc32c({body, *len}) == GetU32(data.data() + pos + 8) ? RecordAt::kGood : RecordAt::kBad;
}

// The next position after `from` where a good record starts, or npos.
size_t Resync(std::string_view data, size_t from) {
  std::string sync;
  PutU32(sync, kWalSync);
  for (size_t q = data.find(sync, from); q != std::string::npos; q = data.find(sync, q + 1)) {
    uint32_t len = 0;
    if (Probe(data, q, &len) == RecordAt::kGood) return q;
  }
  return std::string::npos;
}

}  // namespace

StatusOr<WalContents> ReadWal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open the log '" + path + "'");
  const std::string data((std::istreambuf_iterator<char>(in)), {});
  return ParseWal(data, path);
}

// Format 1 (before sync markers): u32 length | u32 CRC | u8 type | payload. Read as it
// was (no resynchronisation: the first bad record ends it, as a torn tail); every store
// that finished cleanly before the change left one, holding only its checkpoint.
std::optional<WalContents> ParseLegacyWal(std::string_view data) {
  WalContents out;
  out.file_bytes = data.size();
  out.legacy_format = true;
  size_t pos = 0;
  bool first = true;
  while (pos + 9 <= data.size()) {
    const uint32_t len = GetU32(data.data() + pos);
    const uint32_t crc = GetU32(data.data() + pos + 4);
    if (len == 0 || pos + 8 + uint64_t{len} > data.size()) break;
    const auto* body = reinterpret_cast<const uint8_t*>(data.data() + pos + 8);
    if (Crc32c({body, len}) != crc) break;
    const uint8_t type = body[0];
    if (first) {
      if (type != kWalCheckpoint ||
          !out.checkpoint.ParseFromArray(data.data() + pos + 9, static_cast<int>(len - 1))) {
        return std::nullopt;
      }
      first = false;
    } else if (type == kWalChunk) {
      out.chunks.emplace_back(data.data() + pos + 9, len - 1);
    } else {
      break;
    }
    pos += 8 + len;
  }
  if (first) return std::nullopt;
  out.valid_bytes = pos;
  out.torn_tail = pos < data.size();
  return out;
}

StatusOr<WalContents> ParseWal(std::string_view data, const std::string& path) {
  WalContents out;
  out.file_bytes = data.size();
  uint32_t len = 0;
  if (data.size() >= 4 && GetU32(data.data()) != kWalSync) {
    if (auto legacy = ParseLegacyWal(data)) return *std::move(legacy);
  }
  if (Probe(data, 0, &len) != RecordAt::kGood ||
      static_cast<uint8_t>(data[12]) != kWalCheckpoint ||
      !out.checkpoint.ParseFromArray(data.data() + kWalRecordHeader, static_cast<int>(len - 1))) {
    return DataLossError("the log '" + path + "' does not start with a whole checkpoint record "
                         "(damaged, or not a Fleet log of this format)");
  }
  size_t pos = 12 + len;
  out.valid_bytes = pos;  // the end of the last good record: appending resumes there
  while (pos < data.size()) {
    const RecordAt at = Probe(data, pos, &len);
    if (at == RecordAt::kGood) {
      const uint8_t type = static_cast<uint8_t>(data[pos + 12]);
      if (type == kWalChunk) {
        out.chunks.emplace_back(data.data() + pos + kWalRecordHeader, len - 1);
      } else {  // a record type this reader does not know: damage, not data to skip silently
        out.damage.push_back({pos, pos + 12 + len});
      }
      pos += 12 + len;
      out.valid_bytes = pos;
      continue;
    }
    const size_t next = Resync(data, pos + 1);
    if (next == std::string::npos) {
      // a crash mid-write: never acknowledged. Zeros to the end are one too (a power loss
      // can leave the file longer than what reached the disk, zero-filled).
      if (at == RecordAt::kIncomplete ||
          data.find_first_not_of('\0', pos) == std::string_view::npos) {
        out.torn_tail = true;
      } else {
        out.damage.push_back({pos, data.size()});
      }
      break;
    }
    out.damage.push_back({pos, next});
    pos = next;
  }
  return out;
}

}  // namespace fleet::replay

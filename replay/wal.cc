#include "replay/wal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

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
  return std::unique_ptr<WalWriter>(new WalWriter(path, fd, payload.size() + 9, fsync));
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
  bytes_ += chunk_bytes.size() + 9;
  if (fsync_ && ::fdatasync(fd_) != 0) return UnavailableError("cannot sync the log '" + path_ + "'");
  return OkStatus();
}

StatusOr<WalContents> ReadWal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open the log '" + path + "'");
  const std::string data((std::istreambuf_iterator<char>(in)), {});
  WalContents out;
  size_t pos = 0;
  bool first = true;
  while (pos + 9 <= data.size()) {
    const uint32_t len = GetU32(data.data() + pos);
    const uint32_t crc = GetU32(data.data() + pos + 4);
    if (len == 0 || pos + 8 + len > data.size()) break;
    const auto* body = reinterpret_cast<const uint8_t*>(data.data() + pos + 8);
    if (Crc32c({body, len}) != crc) break;
    const uint8_t type = body[0];
    std::string_view payload(data.data() + pos + 9, len - 1);
    if (first) {
      if (type != kWalCheckpoint || !out.checkpoint.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        return DataLossError("the log '" + path + "' does not start with a checkpoint record");
      }
      first = false;
    } else if (type == kWalChunk) {
      out.chunks.emplace_back(payload);
    } else {
      break;  // unknown record type: treat as the end
    }
    pos += 8 + len;
  }
  if (first) return DataLossError("the log '" + path + "' does not start with a checkpoint record");
  out.valid_bytes = pos;
  out.torn_tail = pos < data.size();
  return out;
}

}  // namespace fleet::replay

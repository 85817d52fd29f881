#include "learner/event_writer.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>

#include "common/crc32c.h"
#include "proto/tensorboard.pb.h"

namespace fleet::learner {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t MaskedCrc32c(std::span<const uint8_t> data) {
  const uint32_t crc = Crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

StatusOr<std::unique_ptr<EventWriter>> EventWriter::Create(const std::string& dir) {
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  const std::string path = dir + "/events.out.tfevents." +
                           std::to_string(static_cast<int64_t>(Now())) + "." + host;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return UnavailableError("cannot create TensorBoard event file '" + path + "'");
  std::unique_ptr<EventWriter> w(new EventWriter(path, std::move(out)));
  tensorboard::Event first;
  first.set_wall_time(Now());
  first.set_file_version("brain.Event:2");
  FLEET_RETURN_IF_ERROR(w->WriteRecord(first.SerializeAsString()));
  return w;
}

Status EventWriter::WriteRecord(const std::string& data) {
  const uint64_t len = data.size();
  uint8_t header[8];
  for (int i = 0; i < 8; ++i) header[i] = static_cast<uint8_t>(len >> (8 * i));
  const uint32_t len_crc = MaskedCrc32c(header);
  const uint32_t data_crc =
      MaskedCrc32c({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  auto put32 = [&](uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    out_.write(reinterpret_cast<const char*>(b), 4);
  };
  out_.write(reinterpret_cast<const char*>(header), 8);
  put32(len_crc);
  out_.write(data.data(), static_cast<std::streamsize>(data.size()));
  put32(data_crc);
  out_.flush();
  if (!out_) return UnavailableError("cannot write to '" + path_ + "'");
  return OkStatus();
}

Status EventWriter::WriteScalars(int64_t step,
                                 const std::vector<std::pair<std::string, double>>& scalars) {
  tensorboard::Event e;
  e.set_wall_time(Now());
  e.set_step(step);
  auto* summary = e.mutable_summary();
  for (const auto& [tag, value] : scalars) {
    if (!std::isfinite(value)) continue;  // e.g. no finished episode yet
    auto* v = summary->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  return WriteRecord(e.SerializeAsString());
}

}  // namespace fleet::learner

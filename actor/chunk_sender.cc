#include "actor/chunk_sender.h"

#include "common/heartbeat.h"

#include <algorithm>

#include "common/logging.h"
#include "common/signals.h"
#include "common/curve.h"
#include "common/zmq_util.h"
#include "proto/fleet.pb.h"

namespace fleet::actor {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

ChunkSender::ChunkSender(zmq::context_t& ctx, SenderOptions options)
    : o_(std::move(options)), socket_(ctx, zmq::socket_type::dealer) {
  zmqu::Configure(socket_);
  socket_.set(zmq::sockopt::routing_id, o_.routing_id);
  SecureClient(socket_, o_.endpoint);
  socket_.connect(o_.endpoint);
}

Status ChunkSender::Send(uint64_t sequence, uint64_t steps, std::string bytes) {
  while (!has_credit()) {
    Beat();
    if (StopRequested()) return CancelledError("stopped while waiting for the store's credit");
    FLEET_RETURN_IF_ERROR(Pump(milliseconds(50)));
  }
  InFlight f{sequence, steps, std::move(bytes), Clock::now()};
  zmq::message_t msg(f.bytes.data(), f.bytes.size());
  (void)zmqu::RetryOnInterrupt([&] { return socket_.send(msg, zmq::send_flags::none); });
  in_flight_.push_back(std::move(f));
  ++counters_.sent;
  return Pump(milliseconds(0));
}

Status ChunkSender::HandleAck(const zmq::message_t& frame) {
  proto::ChunkAck ack;
  FLEET_RETURN_IF_ERROR(zmqu::ParseProto(frame, ack));
  if (!ack.accepted()) {
    return FailedPreconditionError("store rejected chunk " + std::to_string(ack.sequence()) + ": " +
                                   ack.error());
  }
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [&](const InFlight& f) { return f.sequence == ack.sequence(); });
  if (it == in_flight_.end()) return OkStatus();  // the ack of a resend already acknowledged
  ++counters_.acked;
  counters_.steps_acked += it->steps;
  if (ack.duplicate()) ++counters_.duplicate_acks;
  in_flight_.erase(it);
  return OkStatus();
}

void ChunkSender::ResendOverdue() {
  const auto now = Clock::now();
  for (auto& f : in_flight_) {
    if (now - f.sent_at < o_.ack_timeout) continue;
    GetLogger("actor")->warn("{}: no ack for chunk {} after {} ms, resending", o_.routing_id,
                             f.sequence, o_.ack_timeout.count());
    zmq::message_t msg(f.bytes.data(), f.bytes.size());
    (void)zmqu::RetryOnInterrupt([&] { return socket_.send(msg, zmq::send_flags::dontwait); });
    f.sent_at = now;
    ++counters_.resends;
  }
}

Status ChunkSender::Pump(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  do {
    const auto left = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                                    deadline - Clock::now()));
    if (zmqu::WaitReadable(socket_, std::min(left, milliseconds(50)))) {
      while (zmqu::RecvMultipart(socket_, frames_)) FLEET_RETURN_IF_ERROR(HandleAck(frames_.back()));
    }
    ResendOverdue();
  } while (Clock::now() < deadline && !in_flight_.empty());
  return OkStatus();
}

Status ChunkSender::Drain(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!in_flight_.empty() && Clock::now() < deadline) {
    Beat();
    FLEET_RETURN_IF_ERROR(Pump(milliseconds(50)));
  }
  if (!in_flight_.empty()) {
    return DeadlineExceededError(std::to_string(in_flight_.size()) +
                                 " chunks still unacknowledged after " +
                                 std::to_string(timeout.count()) + " ms");
  }
  return OkStatus();
}

}  // namespace fleet::actor

// Reliable chunk delivery from an actor to the store: a DEALER socket to the store's
// ingest ROUTER. Each chunk is kept until the store acknowledges it and resent when its
// ack is overdue (at-least-once; the store deduplicates by (actor, epoch, sequence), so
// what is stored is exactly-once). At most max_in_flight chunks may be unacknowledged:
// out of credit, Send waits, so a slow store slows the actor (backpressure). A rejection
// (the store names what is wrong with the chunk) is an error: resending would not help.
// Knows nothing of envs or policies. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"

namespace fleet::actor {

struct SenderOptions {
  std::string endpoint;    // the store's ingest
  std::string routing_id;  // "actor-K", for the store's logs
  int max_in_flight = 2;
  std::chrono::milliseconds ack_timeout{2000};
};

struct SenderCounters {
  uint64_t sent = 0;  // distinct chunks
  uint64_t acked = 0, steps_acked = 0, duplicate_acks = 0, resends = 0;
};

class ChunkSender {
 public:
  ChunkSender(zmq::context_t& ctx, SenderOptions options);

  // Waits for credit (reading acks, resending overdue chunks), then sends `bytes`, the
  // serialized chunk `sequence` of `steps` steps. Cancelled, without sending, when a stop
  // signal arrives while waiting.
  Status Send(uint64_t sequence, uint64_t steps, std::string bytes);
  // Reads acks for up to `timeout` (at least once), resending chunks whose ack is overdue.
  // FailedPrecondition when the store rejected a chunk; DataLoss for a malformed ack.
  Status Pump(std::chrono::milliseconds timeout);
  // Until every sent chunk is acknowledged; DeadlineExceeded naming how many are left.
  Status Drain(std::chrono::milliseconds timeout);

  bool has_credit() const { return static_cast<int>(in_flight_.size()) < o_.max_in_flight; }
  size_t in_flight() const { return in_flight_.size(); }
  const SenderCounters& counters() const { return counters_; }

 private:
  struct InFlight {
    uint64_t sequence;
    uint64_t steps;
    std::string bytes;
    std::chrono::steady_clock::time_point sent_at;
  };
  Status HandleAck(const zmq::message_t& frame);
  void ResendOverdue();

  SenderOptions o_;
  zmq::socket_t socket_;
  std::deque<InFlight> in_flight_;
  SenderCounters counters_;
  std::vector<zmq::message_t> frames_;
};

}  // namespace fleet::actor

// ZeroMQ helpers shared by the role processes: protobuf framing, polling with timeouts,
// and socket options Fleet sets everywhere (no linger on shutdown, bounded queues).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <google/protobuf/message_lite.h>
#include <zmq.hpp>

#include "common/status.h"

namespace fleet::zmqu {

// Calls `f` (a send or receive) again while it fails with EINTR: a signal landed inside
// the ZeroMQ call (SIGTERM, a stop request: its handler has set the stop flag, which the
// caller's loop looks at). Without this, a drain request at the wrong moment surfaced as
// "Interrupted system call" and failed the role. A failed send leaves the message intact.
template <typename F>
decltype(auto) RetryOnInterrupt(F&& f) {
  while (true) {
    try {
      return f();
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
  }
}

// Sets linger 0, the send/receive high-water marks and a 10 ms reconnect interval.
void Configure(zmq::socket_t& socket, int hwm = 1000);

// Serializes and sends `msg` as one frame; `more` marks further frames of a multipart
// message. Blocks at most `timeout` when the peer's queue is full.
Status SendProto(zmq::socket_t& socket, const google::protobuf::MessageLite& msg,
                 bool more = false);

// Parses one frame into `msg`; DataLoss when the bytes are not a valid message.
Status ParseProto(const zmq::message_t& frame, google::protobuf::MessageLite& msg);

// Waits up to `timeout` for `socket` to become readable. Returns false on timeout or
// when interrupted by a signal.
bool WaitReadable(zmq::socket_t& socket, std::chrono::milliseconds timeout);

// Receives all frames of one multipart message (non-blocking: call after WaitReadable).
bool RecvMultipart(zmq::socket_t& socket, std::vector<zmq::message_t>& frames);

}  // namespace fleet::zmqu

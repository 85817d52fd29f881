#include "common/zmq_util.h"

namespace fleet::zmqu {

void Configure(zmq::socket_t& socket, int hwm) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, hwm);
  socket.set(zmq::sockopt::rcvhwm, hwm);
  // roles start in any order; a peer that is not bound yet is retried every 10 ms
  // (ZeroMQ's default, 100 ms, showed as a 200 ms wait for the first weights).
  socket.set(zmq::sockopt::reconnect_ivl, 10);
}

Status SendProto(zmq::socket_t& socket, const google::protobuf::MessageLite& msg, bool more) {
  zmq::message_t frame(msg.ByteSizeLong());
  if (!msg.SerializeToArray(frame.data(), static_cast<int>(frame.size()))) {
    return InternalError("failed to serialize " + msg.GetTypeName());
  }
  try {
    auto sent = RetryOnInterrupt([&] {
      return socket.send(frame, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
    });
    if (!sent) return UnavailableError("send of " + msg.GetTypeName() + " would block");
  } catch (const zmq::error_t& e) {
    return UnavailableError(std::string("zmq send failed: ") + e.what());
  }
  return OkStatus();
}

Status ParseProto(const zmq::message_t& frame, google::protobuf::MessageLite& msg) {
  if (!msg.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    return DataLossError("malformed " + msg.GetTypeName() + " (" + std::to_string(frame.size()) +
                         " bytes)");
  }
  return OkStatus();
}

bool WaitReadable(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  try {
    zmq::poll(&item, 1, timeout);
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
  return (item.revents & ZMQ_POLLIN) != 0;
}

bool RecvMultipart(zmq::socket_t& socket, std::vector<zmq::message_t>& frames) {
  frames.clear();
  while (true) {
    zmq::message_t frame;
    auto got = RetryOnInterrupt([&] { return socket.recv(frame, zmq::recv_flags::dontwait); });
    if (!got) return !frames.empty();
    const bool more = frame.more();
    frames.push_back(std::move(frame));
    if (!more) return true;
  }
}

}  // namespace fleet::zmqu

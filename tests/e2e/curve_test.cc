// CURVE on tcp endpoints, against a real tcp run (store, learner, actors as processes):
// a client without keys, or with a key pair the run's allow-list does not name, can
// neither inject a chunk into the store's ingest, nor get an answer from its rollout
// endpoint, nor receive the learner's weights. The run's own client key can (the positive
// control, so that silence means refusal and not a probe that cannot work).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "common/curve.h"
#include "proto/fleet.pb.h"
#include "tests/test_util.h"

namespace fleet {
namespace {

using std::chrono::milliseconds;

std::string Fleet() { return std::string(FLEET_BIN_DIR) + "/fleet"; }

enum class Keys { kNone, kUnauthorized, kRunClient };

struct Probe {
  zmq::context_t ctx{1};
  CurveKeyPair unauthorized = *NewCurveKeyPair();
  CurveKeys run_keys;

  void Secure(zmq::socket_t& s, Keys keys) {
    s.set(zmq::sockopt::linger, 0);
    if (keys == Keys::kNone) return;
    const CurveKeyPair& me = keys == Keys::kRunClient ? run_keys.client : unauthorized;
    s.set(zmq::sockopt::curve_serverkey, run_keys.server.public_z85);
    s.set(zmq::sockopt::curve_publickey, me.public_z85);
    s.set(zmq::sockopt::curve_secretkey, me.secret_z85);
  }

  std::optional<zmq::message_t> Receive(zmq::socket_t& s, milliseconds timeout) {
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    zmq::message_t m;
    if (!s.recv(m, zmq::recv_flags::dontwait)) return std::nullopt;
    return m;
  }

  // a chunk to the store's ingest: the ack, if any
  std::optional<proto::ChunkAck> Inject(const std::string& endpoint, Keys keys) {
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    Secure(s, keys);
    s.set(zmq::sockopt::routing_id, "intruder");
    s.connect(endpoint);
    const std::string bytes = testing::CartPoleChunk(77, 0).SerializeAsString();
    s.send(zmq::buffer(bytes), zmq::send_flags::none);
    auto reply = Receive(s, milliseconds(1500));
    if (!reply) return std::nullopt;
    proto::ChunkAck ack;
    if (!ack.ParseFromArray(reply->data(), static_cast<int>(reply->size()))) return std::nullopt;
    return ack;
  }

  // the store's counters from its rollout endpoint, if it answers
  std::optional<proto::StoreStats> Stats(const std::string& endpoint, Keys keys) {
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    Secure(s, keys);
    s.connect(endpoint);
    proto::RolloutRequest req;
    req.set_stats_only(true);
    s.send(zmq::buffer(req.SerializeAsString()), zmq::send_flags::none);
    auto reply = Receive(s, milliseconds(1500));
    if (!reply) return std::nullopt;
    proto::StoreStats stats;
    if (!stats.ParseFromArray(reply->data(), static_cast<int>(reply->size()))) return std::nullopt;
    return stats;
  }

  // whether any weights arrive on the learner's weights endpoint
  bool HearsWeights(const std::string& endpoint, Keys keys) {
    zmq::socket_t s(ctx, zmq::socket_type::sub);
    Secure(s, keys);
    s.set(zmq::sockopt::subscribe, "");
    s.connect(endpoint);
    return Receive(s, milliseconds(2500)).has_value();
  }
};

TEST(CurveTest, OnlyAuthorizedClientsReachTheStoreAndTheLearner) {
  testing::TempDir dir;
  const std::string run = dir.path() + "/run";
  const int base = 20000 + static_cast<int>(::getpid() % 20000);
  const std::string cmd = Fleet() + " run " + FLEET_SOURCE_DIR + "/configs/cartpole_ppo.yaml" +
                          " --run-dir " + run +
                          " --set run.transport=tcp --set run.tcp_base_port=" +
                          std::to_string(base) + " --set learner.total_env_steps=50000000" +
                          " > " + dir.path() + "/out.txt 2>&1";
  const pid_t pid = testing::StartInOwnGroup(cmd);
  auto stop = [&] {
    ::kill(-pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
  };
  // running once the learner has published weights a few times
  for (int i = 0; i < 600 && !std::filesystem::exists(run + "/metrics.csv"); ++i) ::usleep(50000);
  ::usleep(500000);
  Probe probe;
  auto keys = LoadCurveKeys(run + "/keys");
  if (!keys.ok()) stop();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString() << testing::ReadFile(dir.path() + "/out.txt");
  probe.run_keys = *keys;
  const std::string host = "tcp://127.0.0.1:";
  const std::string ingest = host + std::to_string(base), rollout = host + std::to_string(base + 1),
                    weights = host + std::to_string(base + 2);

  // the positive control first: the run's client key gets answers
  const auto acked = probe.Inject(ingest, Keys::kRunClient);
  const auto stats = probe.Stats(rollout, Keys::kRunClient);
  const bool hears = probe.HearsWeights(weights, Keys::kRunClient);
  // no keys, and a key pair the allow-list does not name
  std::vector<std::string> leaks;
  for (Keys k : {Keys::kNone, Keys::kUnauthorized}) {
    const std::string who = k == Keys::kNone ? "a client without keys" : "an unauthorized key";
    if (probe.Inject(ingest, k)) leaks.push_back(who + " got an ack from ingest");
    if (probe.Stats(rollout, k)) leaks.push_back(who + " got store stats from rollout");
    if (probe.HearsWeights(weights, k)) leaks.push_back(who + " received weights");
  }
  const std::string store_log = testing::ReadFile(run + "/logs/store.log");
  const std::string learner_log = testing::ReadFile(run + "/logs/learner.log");
  stop();

  ASSERT_TRUE(acked.has_value()) << "the run's own key got no ack: the probe cannot work";
  EXPECT_TRUE(stats.has_value());
  EXPECT_TRUE(hears);
  EXPECT_TRUE(leaks.empty()) << leaks.front();
  // the unauthorized key was seen and refused by ZAP in both binding processes
  EXPECT_NE(store_log.find("refused a CURVE client"), std::string::npos) << store_log;
  EXPECT_NE(learner_log.find("refused a CURVE client"), std::string::npos) << learner_log;
  // the key directory is private
  const auto perms = std::filesystem::status(run + "/keys").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
}

TEST(CurveTest, TcpRoleWithoutKeysIsRefused) {
  testing::TempDir dir;
  const std::string cfg = dir.path() + "/c.yaml";
  testing::WriteFile(cfg, "run:\n  transport: tcp\n");
  // a role started by hand on a tcp config with no run.curve_keys names the key
  auto r = testing::RunCommand(Fleet() + " store --config " + cfg +
                               " --ingest tcp://127.0.0.1:1 --rollout tcp://127.0.0.1:2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("run.curve_keys"), std::string::npos) << r.output;
  // a key directory that is not one
  std::filesystem::create_directories(dir.path() + "/keys");
  testing::WriteFile(dir.path() + "/keys/server.public", "not a key\n");
  testing::WriteFile(cfg, "run:\n  transport: tcp\n  curve_keys: " + dir.path() + "/keys\n");
  r = testing::RunCommand(Fleet() + " store --config " + cfg +
                          " --ingest tcp://127.0.0.1:1 --rollout tcp://127.0.0.1:2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("server.public"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fleet

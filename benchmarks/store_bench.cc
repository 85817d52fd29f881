// The store at scale (issue 4's benchmark), three measurements in one run:
//
//  ingest   chunks shaped like LunarLander's (8-float observations, discrete actions,
//           random-policy episode ends), pre-serialized, then pushed through exactly what
//           the store does per chunk on its one thread: parse, validate, write-ahead log,
//           dedup, episode assembly, HDF5 shards. Reports steps/s and MB/s (chunk bytes in,
//           shard bytes out) on one core, next to the disk's sequential write rate measured
//           in the same run (1 GiB written and fsync'd).
//  windows  loads a recorded dataset (e.g. 1M episodes from `fleet collect`) and draws
//           Decision Transformer windows: per-window latency p50/p99, index and data memory.
//
// Usage: store_bench ingest DIR [STEPS] [COMPRESSION]
//        store_bench disk DIR
//        store_bench windows DATASET_DIR [K] [DRAWS]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "replay/chunk_validator.h"
#include "replay/recorder.h"
#include "replay/episode_dataset.h"
#include "replay/window_sampler.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace fleet;

namespace {

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

uint64_t DirBytes(const std::string& dir, const std::string& suffix) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().string().ends_with(suffix)) n += e.file_size();
  }
  return n;
}

// T steps x N envs of an 8-dim observation, 4 discrete actions, episodes ending with
// probability 1/90 per step (LunarLander's random-policy episodes are ~90 steps).
proto::TrajectoryChunk MakeChunk(uint32_t actor, uint64_t seq, int T, int N, std::mt19937_64& rng) {
  std::normal_distribution<float> g;
  std::bernoulli_distribution ends(1.0 / 90);
  proto::TrajectoryChunk c;
  c.set_actor_id(actor);
  c.set_actor_epoch(42 + actor);
  c.set_sequence(seq);
  c.set_env_id("LunarLander-v3");
  c.set_num_steps(T);
  c.set_num_envs(N);
  c.set_obs_dim(8);
  c.set_action_dim(0);
  std::string term(T * N, '\0'), trunc(T * N, '\0');
  for (int i = 0; i < T * N; ++i) {
    for (int d = 0; d < 8; ++d) c.add_observations(g(rng));
    c.add_discrete_actions(static_cast<int>(rng() % 4));
    c.add_rewards(g(rng));
    c.add_logprobs(-1.386f);
    c.add_values(0.0f);
    if (ends(rng)) {
      term[i] = 1;
      c.add_final_indices(i);
      for (int d = 0; d < 8; ++d) c.add_final_observations(g(rng));
      c.add_episode_returns(-100.0f);
      c.add_episode_lengths(90);
    }
  }
  c.set_terminated(term);
  c.set_truncated(trunc);
  for (int i = 0; i < N * 8; ++i) c.add_next_observations(g(rng));
  return c;
}

int Ingest(const std::string& dir, int64_t steps, int compression) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  const int T = 256, N = 16;
  std::mt19937_64 rng(1);
  // 64 distinct chunk bodies, re-labelled with fresh sequences while pre-serializing.
  std::vector<proto::TrajectoryChunk> bodies;
  for (int i = 0; i < 64; ++i) bodies.push_back(MakeChunk(0, 0, T, N, rng));
  const int64_t chunks = (steps + T * N - 1) / (T * N);
  std::vector<std::string> wire;
  wire.reserve(chunks);
  for (int64_t i = 0; i < chunks; ++i) {
    proto::TrajectoryChunk c = bodies[i % bodies.size()];
    c.set_actor_id(static_cast<uint32_t>(i % 2));
    c.set_actor_epoch(42 + i % 2);
    c.set_sequence(static_cast<uint64_t>(i / 2));
    wire.push_back(c.SerializeAsString());
  }
  uint64_t in_bytes = 0;
  for (const auto& w : wire) in_bytes += w.size();

  replay::RecorderOptions o;
  o.writer.dir = dir;
  o.writer.env_id = "LunarLander-v3";
  o.writer.obs_dim = 8;
  o.writer.max_shard_steps = 1000000;
  o.writer.compression = compression;
  o.writer.optional_columns = {"infos/logprob", "infos/value"};  // what a PPO run records
  auto rec = replay::Recorder::Open(o);
  if (!rec.ok()) {
    std::fprintf(stderr, "%s\n", rec.status().ToString().c_str());
    return 1;
  }
  replay::ChunkExpectations expect{"LunarLander-v3", 8, 0, 4};
  const auto t0 = Clock::now();
  proto::TrajectoryChunk c;
  for (const auto& w : wire) {
    if (!c.ParseFromString(w)) return 1;
    if (!replay::ValidateChunk(c, expect).ok()) return 1;
    auto st = (*rec)->Add(w, c);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.status().ToString().c_str());
      return 1;
    }
  }
  if (!(*rec)->Close().ok()) return 1;
  const double s = Seconds(t0, Clock::now());
  const uint64_t n = (*rec)->steps_written();
  const uint64_t out_bytes = DirBytes(dir, ".h5");
  std::printf("ingest: %llu steps (%lld chunks of %d x %d, 8-float obs), compression %d: %.2f s, "
              "%.0f steps/s, in %.1f MB/s (chunk bytes), out %.1f MB/s (shard bytes), "
              "%.1f bytes/step on disk, %d shards\n",
              static_cast<unsigned long long>(n), static_cast<long long>(chunks), T, N,
              compression, s, n / s, in_bytes / s / 1e6, out_bytes / s / 1e6,
              static_cast<double>(out_bytes) / n, (*rec)->shards());
  return 0;
}

int Disk(const std::string& dir) {
  fs::create_directories(dir);
  const std::string path = dir + "/disk-rate.bin";
  std::vector<char> block(8 << 20, 'x');
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  const auto t0 = Clock::now();
  const int blocks = 128;  // 1 GiB
  for (int i = 0; i < blocks; ++i) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) return 1;
  }
  ::fsync(fd);
  const double s = Seconds(t0, Clock::now());
  ::close(fd);
  fs::remove(path);
  std::printf("disk: sequential write of 1 GiB with fsync: %.2f s, %.1f MB/s\n", s,
              blocks * block.size() / s / 1e6);
  return 0;
}

int Windows(const std::string& dir, int k, int64_t draws) {
  const auto t0 = Clock::now();
  std::vector<std::string> warnings;
  auto data = replay::EpisodeDataset::Load(dir, &warnings);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", data.status().ToString().c_str());
    return 1;
  }
  for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  const double load_s = Seconds(t0, Clock::now());
  replay::WindowSampler sampler(**data, k);
  std::mt19937_64 rng(7);
  replay::Window w;
  std::vector<double> ns(draws);
  for (int64_t i = 0; i < draws; ++i) {
    const auto a = Clock::now();
    (void)sampler.Sample(rng, w);
    ns[i] = std::chrono::duration<double, std::nano>(Clock::now() - a).count();
  }
  std::sort(ns.begin(), ns.end());
  std::printf("windows: %lld episodes, %lld steps loaded in %.1f s; K=%d, %lld draws: p50 %.0f ns, "
              "p99 %.0f ns, max %.0f ns; index %.1f MB, data in memory %.1f MB (%.1f bytes/step)\n",
              static_cast<long long>((*data)->episodes()), static_cast<long long>((*data)->steps()),
              load_s, k, static_cast<long long>(draws), ns[draws / 2], ns[draws * 99 / 100],
              ns.back(), (*data)->IndexBytes() / 1e6, (*data)->MemoryBytes() / 1e6,
              static_cast<double>((*data)->MemoryBytes()) / (*data)->steps());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: store_bench ingest DIR [STEPS] [COMPRESSION] | disk DIR | "
                         "windows DATASET_DIR [K] [DRAWS]\n");
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  if (mode == "ingest") {
    return Ingest(dir, argc > 3 ? std::stoll(argv[3]) : 20000000, argc > 4 ? std::stoi(argv[4]) : 1);
  }
  if (mode == "disk") return Disk(dir);
  if (mode == "windows") {
    return Windows(dir, argc > 3 ? std::stoi(argv[3]) : 20, argc > 4 ? std::stoll(argv[4]) : 1000000);
  }
  return 2;
}

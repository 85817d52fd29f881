// Helpers shared by Fleet's tests: temp dirs, files, and a valid CartPole chunk.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "proto/fleet.pb.h"

namespace fleet::testing {

// A fresh directory under /tmp, removed with the object.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/fleet-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `cmd` with /bin/sh, waits for it.
inline CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A JSON file Fleet wrote (Python's non-finite tokens accepted); null if unreadable.
// Starts `cmd` under /bin/sh in a process group of its own (so the whole run it starts can
// be signalled at once, and waited for with waitpid); returns its pid.
inline pid_t StartInOwnGroup(const std::string& cmd) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

// A CSV file with a header row (metrics.csv, evals.csv) as columns by name; an empty cell
// is NaN.
inline std::map<std::string, std::vector<double>> ReadCsv(const std::string& path) {
  std::istringstream in(ReadFile(path));
  std::string line;
  std::vector<std::string> names;
  std::map<std::string, std::vector<double>> cols;
  std::getline(in, line);
  std::istringstream h(line);
  for (std::string n; std::getline(h, n, ',');) names.push_back(n);
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string cell;
    for (size_t i = 0; i < names.size() && std::getline(row, cell, ','); ++i) {
      cols[names[i]].push_back(cell.empty() ? std::nan("") : std::stod(cell));
    }
  }
  return cols;
}

inline Json ReadJson(const std::string& path) {
  auto j = ReadJsonFile(path);
  return j.ok() ? *j : Json();
}

// T steps of N CartPole envs; env e ends an episode at step t when (t + e) % 5 == 4.
inline proto::TrajectoryChunk CartPoleChunk(uint32_t actor, uint64_t sequence, int T = 8,
                                            int N = 2, uint64_t version = 0) {
  proto::TrajectoryChunk c;
  c.set_actor_id(actor);
  c.set_sequence(sequence);
  c.set_policy_version(version);
  c.set_env_id("CartPole-v1");
  c.set_num_steps(T);
  c.set_num_envs(N);
  c.set_obs_dim(4);
  c.set_action_dim(0);
  std::string term, trunc;
  for (int t = 0; t < T; ++t) {
    for (int e = 0; e < N; ++e) {
      const int i = t * N + e;
      for (int d = 0; d < 4; ++d) c.add_observations(0.01f * i + d);
      c.add_discrete_actions(i % 2);
      c.add_rewards(1.0f);
      c.add_logprobs(-0.69f);
      c.add_values(0.5f);
      const bool ends = (t + e) % 5 == 4;
      term.push_back(ends ? 1 : 0);
      trunc.push_back(0);
      if (ends) {
        c.add_final_indices(i);
        for (int d = 0; d < 4; ++d) c.add_final_observations(9.0f);
        c.add_episode_returns(5.0f);
        c.add_episode_lengths(5);
      }
    }
  }
  c.set_terminated(term);
  c.set_truncated(trunc);
  for (int i = 0; i < N * 4; ++i) c.add_next_observations(0.5f);
  return c;
}

}  // namespace fleet::testing

// The learner's checkpoints on disk, without libtorch (the orchestrator checks that a run
// can be resumed before it starts anything). A checkpoint is a folder:
//
//   RUN_DIR/checkpoints/latest/   state.pb      proto::LearnerCheckpoint (checkpoint.proto):
//                                               format, algorithm, env, counters, metrics,
//                                               the algorithm's own state message
//                                 policy.pb     the actors' policy (proto::PolicyWeights)
//                                 model.pt ...  the algorithm's libtorch archives
//
// assembled as latest.tmp and renamed into place (a crash leaves the old folder or the
// new one, never half of one). At the end of a run the learner also writes
// checkpoints/final_policy.pb (what `fleet eval` and `fleet collect` run) and the
// algorithm's final_*.pt.
//
// Reading state.pb, deliberately: a format newer than this build's is refused (resume with
// the Fleet that wrote it); a missing required field (algorithm, env, metrics) is
// DataLoss; fields this build does not know are fields a newer writer added without
// changing the format, which by the format's rule older readers may ignore: they are
// reported as warnings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/experiment_config.h"
#include "common/status.h"
#include "proto/checkpoint.pb.h"

namespace fleet::learner {

// Bump when a reader must understand a change to LearnerCheckpoint or an algorithm's state.
inline constexpr uint32_t kLearnerCheckpointFormat = 1;

std::string CheckpointsDir(const std::string& run_dir);
std::string LatestCheckpointDir(const std::string& run_dir);
std::string FinalPolicyPath(const std::string& run_dir);
// learner.policy_snapshot_every's files: checkpoints/policy-v000123.pb.
std::string PolicySnapshotPath(const std::string& run_dir, uint64_t version);
// The latest complete checkpoint folder: `latest`, or `latest.old` when a crash on a file
// system without RENAME_EXCHANGE left only that (see ReplaceDir).
std::string FindLatestCheckpoint(const std::string& run_dir);
inline constexpr const char* kStateFile = "state.pb";
inline constexpr const char* kPolicyFile = "policy.pb";

struct CheckpointState {
  proto::LearnerCheckpoint state;
  std::vector<std::string> warnings;
};

// Reads DIR/state.pb (see above). NotFound when there is none (naming the text format of
// Fleet before checkpoint format 1 if that is what the folder holds).
StatusOr<CheckpointState> ReadCheckpointState(const std::string& dir);
Status WriteCheckpointState(const std::string& dir, const proto::LearnerCheckpoint& state);

// Whether `fleet run --resume RUN_DIR` can continue with `config`: a readable latest
// checkpoint of the same algorithm and env.
Status CheckResumable(const std::string& run_dir, const ExperimentConfig& config);

// Creates `dir` and its parents.
Status MakeDirs(const std::string& dir);
// Creates an empty folder `dir` (removing an old one first).
Status MakeEmptyDir(const std::string& dir);
// Renames folder `from` onto `to` atomically, replacing an existing `to`.
Status ReplaceDir(const std::string& from, const std::string& to);
// Writes `bytes` to `path` (a regular file; not atomic by itself: inside a .tmp folder).
Status WriteFile(const std::string& path, const std::string& bytes);

}  // namespace fleet::learner

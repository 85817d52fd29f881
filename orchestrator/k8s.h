// Kubernetes: the launch plan as manifests (`fleet k8s render CONFIG`), for `kubectl apply`.
//
//   ConfigMap  NAME-config   the resolved config (tcp endpoints: bind *, connect NAME-head)
//   Secret     NAME-keys     CURVE keys made at render time, mounted at /fleet/keys
//                            (run.curve_keys) in every pod
//   PVC        NAME-run      the run directory (checkpoints, metrics, dataset, summary)
//   Service    NAME-head     headless, the head pod's four ports
//   Job        NAME-head     one pod: the store as a native sidecar (an init container with
//                            restartPolicy Always, Kubernetes >= 1.29: it starts first and is
//                            stopped once the learner has exited) and the learner, which
//                            resumes from the volume's checkpoint after a restart; the GPU
//                            request (k8s.gpu_resource) when learner.device is cuda
//   Job        NAME-actors   Indexed, actors.count completions in parallel; the completion
//                            index is the actor id
// Kubernetes restarts failed pods (k8s.backoff_limit). `fleet k8s render --command
// train-offline` renders the learner alone (learner.dataset must be on the run volume or
// in the image).
#pragma once

#include <string>

#include "common/experiment_config.h"
#include "common/status.h"

namespace fleet::orchestrator {

struct K8sRenderOptions {
  bool offline = false;  // train-offline: no store, no actors
};

// The manifests as one multi-document YAML text. Pure.
StatusOr<std::string> RenderK8sManifests(const ExperimentConfig& cfg, const K8sRenderOptions& o);

// "cartpole_ppo" -> "cartpole-ppo": a DNS-1123 label (lowercase alphanumerics and '-',
// at most 40 characters so that suffixes fit).
std::string K8sName(const std::string& run_name);

}  // namespace fleet::orchestrator

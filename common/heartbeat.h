// A liveness signal from a role process to its supervisor: the process touches a file
// (its mtime) at most twice a second from the places where it makes progress or waits
// (the actor's stepping, its waits for weights, credit and acks). A process that is
// stopped (SIGSTOP) or stuck stops touching it; the supervisor (orchestrator/supervisor.h,
// RoleSpec::heartbeat_file) kills it after the role's timeout, and the restart policy
// takes over. A file, so that it works wherever the supervisor sees the run directory
// (local runs, Slurm's shared filesystem).
#pragma once

#include <string>

namespace fleet {

// Starts beating into `path` (created now). Empty: no heartbeat (Beat does nothing).
void SetHeartbeatFile(const std::string& path);
// Touches the file if the last touch is 500 ms old or more; cheap otherwise (a clock read).
void Beat();

}  // namespace fleet

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

// Names the file to beat into. Empty: no heartbeat (Beat does nothing). Nothing is
// touched yet: the first Beat, from the first place the process makes progress or waits,
// tells the supervisor that start-up is over (until then it allows the role's startup time).
void SetHeartbeatFile(const std::string& path);
// Touches the file (creating it the first time) if the last touch is 500 ms old or more;
// cheap otherwise (a clock read).
void Beat();

}  // namespace fleet

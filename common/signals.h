// Process-wide stop flag set by SIGINT/SIGTERM; role loops poll it between steps.
#pragma once

namespace fleet {

// Installs handlers for SIGINT and SIGTERM that set the flag. Call once from main().
void InstallStopSignalHandlers();
bool StopRequested();
void RequestStop();

}  // namespace fleet

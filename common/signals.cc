#include "common/signals.h"

#include <csignal>

namespace fleet {
namespace {
volatile std::sig_atomic_t g_stop = 0;
void Handle(int) { g_stop = 1; }
}  // namespace

void InstallStopSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = Handle;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop != 0; }
void RequestStop() { g_stop = 1; }

}  // namespace fleet

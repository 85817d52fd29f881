#include "learner/torch_runtime.h"

#include <dlfcn.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace fleet::learner {

torch::Device ResolveDevice(const std::string& name) {
  if (name == "cuda" || (name == "auto" && torch::cuda::is_available())) {
    return torch::Device(torch::kCUDA);
  }
  return torch::Device(torch::kCPU);
}

void ConfigureCpuForTraining() {
  at::globalContext().setFlushDenormal(true);
#if defined(__GLIBC__)
  // 32 MiB is glibc's largest mmap threshold on 64-bit (blocks above it are still mmapped);
  // a trim threshold of 1 GiB in effect never trims.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int SetBlasThreads(int threads) {
  // OpenBLAS (Debian's libopenblas0-pthread, what libtorch's matrix products call) runs
  // its own thread pool, sized by the cores, whatever torch::set_num_threads says; its
  // idle threads spin and yield. Looked up at run time: a libtorch built against another
  // BLAS (MKL, cuBLAS only) has no such symbol, and then nothing is set.
  using Setter = void (*)(int);
  if (auto set = reinterpret_cast<Setter>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
    return threads;
  }
  return 0;
}

void ConfigureLearnerProcess(const ExperimentConfig& config) {
  torch::set_num_threads(config.learner.threads);
  SetBlasThreads(config.learner.threads);
  ConfigureCpuForTraining();
}

bool CudaAvailable() { return torch::cuda::is_available(); }

Status SaveTorchState(const std::string& dir, const std::string& prefix, const std::string& what,
                      const NamedModules& modules, torch::optim::Optimizer& optimizer) {
  try {
    for (const auto& [name, module] : modules) {
      torch::serialize::OutputArchive a;
      module->save(a);
      a.save_to(dir + "/" + prefix + name + ".pt");
    }
    torch::serialize::OutputArchive o;
    optimizer.save(o);
    o.save_to(dir + "/" + prefix + "optimizer.pt");
  } catch (const c10::Error& e) {
    return UnavailableError("cannot write the " + what + " in " + dir + ": " + e.what_without_backtrace());
  }
  return OkStatus();
}

Status LoadTorchState(const std::string& dir, const std::string& what, const NamedModules& modules,
                      torch::optim::Optimizer& optimizer) {
  try {
    for (const auto& [name, module] : modules) {
      torch::serialize::InputArchive a;
      a.load_from(dir + "/" + name + ".pt");
      module->load(a);
    }
    torch::serialize::InputArchive o;
    o.load_from(dir + "/optimizer.pt");
    optimizer.load(o);
  } catch (const c10::Error& e) {
    return DataLossError("cannot load the " + what + " in " + dir + ": " + e.what_without_backtrace());
  }
  return OkStatus();
}

}  // namespace fleet::learner

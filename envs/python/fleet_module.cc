// The `fleet` Python module: Fleet's environments with Gymnasium 1.x's API.
//   env = fleet.make("CartPole-v1", **options)
//   obs, info = env.reset(seed=0); obs, r, terminated, truncated, info = env.step(a)
//   vec = fleet.make_vec("CartPole-v1", 8)   # same-step auto-reset, see VectorEnv
//   env = fleet.remote("http://127.0.0.1:8000")   # an env served by `fleet serve ENV_ID`
// Bad input raises ValueError with Fleet's message (also a non-finite option: g=nan); the
// env is left unchanged. As Gymnasium's OrderEnforcing and its documented contract
// require, step() before the first reset() and after an episode ended (terminated or
// truncated) raises fleet.ResetNeeded (a RuntimeError), unless a state was set by hand
// since (unwrapped.state, set_state); the vector env resets its envs itself, so only its
// first reset() is required.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <random>
#include <stdexcept>

#include "envs/box2d/bipedal_walker.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"
#include "envs/server/env_client.h"
#include "envs/vector_env.h"

namespace py = pybind11;

namespace fleet::envs {
namespace {

std::map<std::string, std::string> OptionsFromKwargs(const py::kwargs& kwargs) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : kwargs) {
    std::string value;
    if (py::isinstance<py::bool_>(v)) {
      value = v.cast<bool>() ? "true" : "false";
    } else {
      value = py::str(v).cast<std::string>();
    }
    out[k.cast<std::string>()] = value;
  }
  return out;
}

// fleet.ResetNeeded, registered in the module
class ResetNeeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
T ValueOrThrow(StatusOr<T> s) {
  if (!s.ok()) throw py::value_error(s.status().message());
  return std::move(s).value();
}
void ThrowIfError(const Status& s) {
  if (!s.ok()) throw py::value_error(s.message());
}

// pybind11 2.10 (Debian 12) derives default strides from the dtype's element size as
// numpy 1.x lays out its descriptor; numpy 2 moved that field, and arrays made with
// default strides came out with stride 0. Every array is therefore made with explicit
// C-order strides.
template <class T>
py::array_t<T> NewArray(std::vector<py::ssize_t> shape) {
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t step = sizeof(T);
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = step;
    step *= shape[i];
  }
  return py::array_t<T>(std::move(shape), std::move(strides));
}
template <class T>
py::array_t<T> CopyArray(const T* data, size_t n) {
  py::array_t<T> a = NewArray<T>({static_cast<py::ssize_t>(n)});
  std::copy_n(data, n, a.mutable_data());
  return a;
}

py::dtype NumpyDtype(DType d) {
  switch (d) {
    case DType::kFloat32: return py::dtype::of<float>();
    case DType::kFloat64: return py::dtype::of<double>();
    case DType::kInt64: return py::dtype::of<int64_t>();
  }
  return py::dtype::of<float>();
}

// A Gymnasium-like space: Box (shape, dtype, low, high) or Discrete (n, start).
struct PySpace {
  Space space;
  std::vector<int> batch;  // leading batch dims for vector envs
  std::mt19937_64 rng{0};

  py::tuple shape() const {
    std::vector<int> s = batch;
    if (!space.is_discrete()) s.insert(s.end(), space.shape.begin(), space.shape.end());
    return py::cast(s);
  }
  py::array Bound(const std::vector<double>& b) const {
    py::array_t<double> src = CopyArray(b.data(), b.size());
    return src.attr("astype")(NumpyDtype(space.dtype)).cast<py::array>();
  }
  py::object Sample() {
    if (space.is_discrete()) {
      return py::int_(space.start + static_cast<int64_t>(rng() % static_cast<uint64_t>(space.n)));
    }
    std::vector<float> v(space.FlatDim());
    for (size_t i = 0; i < v.size(); ++i) {
      const double lo = space.low[i], hi = space.high[i];
      if (std::isfinite(lo) && std::isfinite(hi)) {
        v[i] = static_cast<float>(std::uniform_real_distribution<double>(lo, hi)(rng));
      } else {
        v[i] = static_cast<float>(std::normal_distribution<double>()(rng));
      }
    }
    return CopyArray(v.data(), v.size());
  }
  std::string Repr() const { return space.ToString(); }
};

// an action from Python: one integer for a discrete space, else an array of numbers
std::vector<float> ActionFromPython(const EnvSpec& spec, py::object action) {
  if (spec.action_space.is_discrete()) {
    py::array arr = py::array::ensure(action);
    if (!arr || arr.size() != 1) throw py::value_error(spec.id + ": a discrete action is one integer");
    return {arr.attr("item")().cast<float>()};
  }
  auto arr = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(action);
  if (!arr) throw py::value_error(spec.id + ": action must be an array of numbers");
  return std::vector<float>(arr.data(), arr.data() + arr.size());
}

class PyEnv {
 public:
  PyEnv(const std::string& id, const py::kwargs& kwargs)
      : env_(ValueOrThrow(MakeEnv(id, OptionsFromKwargs(kwargs)))),
        obs_(env_->obs_dim()) {
    observation_space_.space = env_->spec().observation_space;
    action_space_.space = env_->spec().action_space;
  }

  // the env's spaces are objects of their own (seed() and sample() keep their state);
  // filled in the constructor, after env_ exists.
  PySpace observation_space_, action_space_;

  py::tuple Reset(std::optional<uint64_t> seed, py::object options) {
    env_->Reset(seed, obs_);
    needs_reset_ = false;
    return py::make_tuple(Obs(), py::dict());
  }

  py::tuple Step(py::object action) {
    if (needs_reset_) {
      throw ResetNeeded(env_->spec().id + ": " +
                        (ended_ ? "the episode ended (terminated or truncated); call reset() "
                                  "before step()"
                                : "call reset() before the first step()"));
    }
    std::vector<float> a = ActionFromPython(env_->spec(), action);
    auto r = ValueOrThrow(env_->Step(a, obs_));
    if (r.terminated || r.truncated) needs_reset_ = ended_ = true;
    return py::make_tuple(Obs(), r.reward, r.terminated, r.truncated, py::dict());
  }

  py::array_t<double> GetState() const {
    auto* s = dynamic_cast<PhysicalStateAccess*>(env_.get());
    if (!s) throw py::attribute_error(env_->spec().id + " has no physical state to get or set");
    auto v = s->GetState();
    return CopyArray(v.data(), v.size());
  }
  void SetState(py::array_t<double, py::array::c_style | py::array::forcecast> state) {
    auto* s = dynamic_cast<PhysicalStateAccess*>(env_.get());
    if (!s) throw py::attribute_error(env_->spec().id + " has no physical state to get or set");
    ThrowIfError(s->SetState({state.data(), static_cast<size_t>(state.size())}));
    StateWasSet();
  }
  // a state set by hand after an ended episode is one to step from (as on Gymnasium's
  // unwrapped env); before the first reset(), reset() is still needed
  void StateWasSet() {
    if (ended_) needs_reset_ = false;
  }

  // MuJoCo envs: Gymnasium's set_state(qpos, qvel) and state_vector().
  void SetMujocoState(py::array_t<double, py::array::c_style | py::array::forcecast> qpos,
                      py::array_t<double, py::array::c_style | py::array::forcecast> qvel) {
    ThrowIfError(Mujoco()->SetState({qpos.data(), static_cast<size_t>(qpos.size())},
                                    {qvel.data(), static_cast<size_t>(qvel.size())}));
    StateWasSet();
  }
  py::array_t<double> StateVector() {
    auto v = Mujoco()->StateVector();
    return CopyArray(v.data(), v.size());
  }

  // BipedalWalker: the current episode's ground (BipedalTerrain) as a dict of lists.
  py::dict Terrain() const {
    auto* w = dynamic_cast<const BipedalWalker*>(env_.get());
    if (!w) throw py::attribute_error(env_->spec().id + " has no Box2D terrain");
    py::dict d;
    d["x"] = w->terrain().x;
    d["y"] = w->terrain().y;
    d["polygons"] = w->terrain().polygons;
    return d;
  }

  const Env& env() const { return *env_; }

 private:
  bool needs_reset_ = true, ended_ = false;
  MujocoEnv* Mujoco() {
    auto* m = dynamic_cast<MujocoEnv*>(env_.get());
    if (!m) throw py::attribute_error(env_->spec().id + " is not a MuJoCo env");
    return m;
  }
  py::array_t<float> Obs() const {
    return CopyArray(obs_.data(), obs_.size());
  }
  std::unique_ptr<Env> env_;
  std::vector<float> obs_;
};

class PyVectorEnv {
 public:
  PyVectorEnv(const std::string& id, int num_envs, int num_threads, const py::kwargs& kwargs)
      : vec_(ValueOrThrow(
            VectorEnv::Create(id, num_envs, OptionsFromKwargs(kwargs), num_threads))),
        obs_(num_envs * vec_->obs_dim()),
        rewards_(num_envs),
        term_(num_envs),
        trunc_(num_envs) {
    single_observation_space_.space = observation_space_.space = vec_->spec().observation_space;
    single_action_space_.space = action_space_.space = vec_->spec().action_space;
    observation_space_.batch = action_space_.batch = {num_envs};
  }

  PySpace single_observation_space_, single_action_space_, observation_space_, action_space_;

  int num_envs() const { return vec_->num_envs(); }
  const VectorEnv& vec() const { return *vec_; }

  py::tuple Reset(std::optional<uint64_t> seed, py::object options) {
    if (!seed) seed = std::random_device()();
    vec_->Reset(*seed, obs_);
    was_reset_ = true;
    return py::make_tuple(Obs(), py::dict());
  }

  py::tuple Step(py::array actions) {
    if (!was_reset_) throw ResetNeeded(vec_->spec().id + ": call reset() before the first step()");
    const int n = num_envs(), w = vec_->action_width();
    auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(actions);
    if (!a || a.size() != n * w) {
      throw py::value_error(vec_->spec().id + ": expected " + std::to_string(n * w) +
                            " action values for " + std::to_string(n) + " envs");
    }
    ThrowIfError(vec_->Step({a.data(), static_cast<size_t>(a.size())}, obs_, rewards_, term_,
                            trunc_, out_));
    py::array_t<double> rew = NewArray<double>({n});
    py::array_t<bool> term = NewArray<bool>({n}), trunc = NewArray<bool>({n});
    for (int i = 0; i < n; ++i) {
      rew.mutable_at(i) = rewards_[i];
      term.mutable_at(i) = term_[i] != 0;
      trunc.mutable_at(i) = trunc_[i] != 0;
    }
    py::dict info;
    if (!out_.final_indices.empty()) {
      const int d = vec_->obs_dim();
      py::array_t<float> final_obs = NewArray<float>({n, d});
      py::array_t<bool> mask = NewArray<bool>({n});
      py::array_t<double> ep_r = NewArray<double>({n});
      py::array_t<int64_t> ep_l = NewArray<int64_t>({n});
      std::fill(final_obs.mutable_data(), final_obs.mutable_data() + n * d, 0.0f);
      for (int i = 0; i < n; ++i) {
        mask.mutable_at(i) = false;
        ep_r.mutable_at(i) = 0.0;
        ep_l.mutable_at(i) = 0;
      }
      for (size_t k = 0; k < out_.final_indices.size(); ++k) {
        const int i = out_.final_indices[k];
        std::copy_n(out_.final_observations.data() + k * d, d, final_obs.mutable_data() + i * d);
        mask.mutable_at(i) = true;
        ep_r.mutable_at(i) = out_.episode_returns[k];
        ep_l.mutable_at(i) = out_.episode_lengths[k];
      }
      info["final_obs"] = final_obs;
      info["_final_obs"] = mask;
      py::dict episode;
      episode["r"] = ep_r;
      episode["l"] = ep_l;
      episode["_r"] = mask;
      info["episode"] = episode;
    }
    return py::make_tuple(Obs(), rew, term, trunc, info);
  }

 private:
  bool was_reset_ = false;
  py::array_t<float> Obs() const {
    const int n = num_envs(), d = vec_->obs_dim();
    py::array_t<float> o = NewArray<float>({n, d});
    std::copy(obs_.begin(), obs_.end(), o.mutable_data());
    return o;
  }

  std::unique_ptr<VectorEnv> vec_;
  std::vector<float> obs_, rewards_;
  std::vector<uint8_t> term_, trunc_;
  VectorStepOutput out_;
};

// fleet.remote(url): an env served by `fleet serve`, with fleet.make's API. Errors the
// server reports map as they would locally: a bad action ValueError, stepping an ended
// episode fleet.ResetNeeded; a lost server ConnectionError. The GIL is released while
// waiting for the server.
class PyRemoteEnv {
 public:
  PyRemoteEnv(const std::string& url, const std::optional<std::string>& token) {
    auto made = RemoteEnv::Connect(url, token.value_or(""));
    if (!made.ok()) Throw(made.status());
    env_ = std::move(made).value();
    observation_space_.space = env_->spec().observation_space;
    action_space_.space = env_->spec().action_space;
  }
  PySpace observation_space_, action_space_;
  const EnvSpec& spec() const { return env_->spec(); }

  py::tuple Reset(std::optional<uint64_t> seed, py::object options) {
    Status st;
    {
      py::gil_scoped_release release;
      st = env_->Reset(seed, obs_);
    }
    if (!st.ok()) Throw(st);
    needs_reset_ = false;
    return py::make_tuple(CopyArray(obs_.data(), obs_.size()), py::dict());
  }

  py::tuple Step(py::object action) {
    if (needs_reset_) throw ResetNeeded(env_->spec().id + ": call reset() before step()");
    std::vector<float> a = ActionFromPython(env_->spec(), action);
    std::optional<StatusOr<RemoteStep>> result;
    {
      py::gil_scoped_release release;
      result.emplace(env_->Step(a, obs_));
    }
    const StatusOr<RemoteStep>& r = *result;
    if (!r.ok()) Throw(r.status());
    if (r->terminated || r->truncated) needs_reset_ = true;
    return py::make_tuple(CopyArray(obs_.data(), obs_.size()), r->reward, r->terminated,
                          r->truncated, py::dict());
  }

  void Close() {
    if (!env_) return;
    Status st = env_->Close();
    if (!st.ok() && st.code() != StatusCode::kNotFound) Throw(st);  // reaped already: fine
  }
  std::string session_id() const { return env_->session_id(); }

 private:
  [[noreturn]] static void Throw(const Status& st) {
    switch (st.code()) {
      case StatusCode::kInvalidArgument: throw py::value_error(st.message());
      case StatusCode::kFailedPrecondition: throw ResetNeeded(st.message());
      case StatusCode::kUnavailable: {
        PyErr_SetString(PyExc_ConnectionError, st.message().c_str());
        throw py::error_already_set();
      }
      default: throw std::runtime_error(st.message());
    }
  }
  std::unique_ptr<RemoteEnv> env_;
  std::vector<float> obs_;
  bool needs_reset_ = true;
};

py::object SpecOf(const EnvSpec& s) {
  py::object ns = py::module_::import("types").attr("SimpleNamespace")();
  ns.attr("id") = s.id;
  ns.attr("max_episode_steps") = s.max_episode_steps > 0 ? py::object(py::int_(s.max_episode_steps))
                                                         : py::none();
  ns.attr("reward_threshold") =
      s.reward_threshold ? py::object(py::float_(*s.reward_threshold)) : py::none();
  return ns;
}

}  // namespace
}  // namespace fleet::envs

PYBIND11_MODULE(fleet, m) {
  using namespace fleet::envs;
  m.doc() = "Fleet's environments with Gymnasium 1.x's API";

  py::register_exception<ResetNeeded>(m, "ResetNeeded", PyExc_RuntimeError);

  py::class_<PySpace>(m, "Space")
      .def_property_readonly("shape", &PySpace::shape)
      .def_property_readonly("dtype", [](const PySpace& s) { return NumpyDtype(s.space.dtype); })
      .def_property_readonly("low", [](const PySpace& s) -> py::object {
        if (s.space.is_discrete()) return py::none();
        return s.Bound(s.space.low);
      })
      .def_property_readonly("high", [](const PySpace& s) -> py::object {
        if (s.space.is_discrete()) return py::none();
        return s.Bound(s.space.high);
      })
      .def_property_readonly("n", [](const PySpace& s) -> py::object {
        if (!s.space.is_discrete()) return py::none();
        return py::int_(s.space.n);
      })
      .def_property_readonly("start", [](const PySpace& s) { return s.space.start; })
      .def_property_readonly("is_discrete", [](const PySpace& s) { return s.space.is_discrete(); })
      .def("seed", [](PySpace& s, uint64_t seed) { s.rng.seed(seed); })
      .def("sample", &PySpace::Sample)
      .def("__repr__", &PySpace::Repr);

  py::class_<PyEnv>(m, "Env")
      .def("reset", &PyEnv::Reset, py::kw_only(), py::arg("seed") = py::none(),
           py::arg("options") = py::none())
      .def("step", &PyEnv::Step, py::arg("action"))
      .def("close", [](PyEnv&) {})
      .def_readonly("observation_space", &PyEnv::observation_space_)
      .def_readonly("action_space", &PyEnv::action_space_)
      .def_property_readonly("spec", [](const PyEnv& e) { return SpecOf(e.env().spec()); })
      .def_property_readonly("unwrapped", [](py::object self) { return self; })
      .def("set_state", &PyEnv::SetMujocoState, py::arg("qpos"), py::arg("qvel"))
      .def("state_vector", &PyEnv::StateVector)
      .def_property("state", &PyEnv::GetState, &PyEnv::SetState,
                    "physical state (float64): classic control as Gymnasium's unwrapped.state; "
                    "BipedalWalker the hull's and the legs' poses and velocities")
      .def_property_readonly("terrain", &PyEnv::Terrain,
                             "BipedalWalker: this episode's ground edges (x, y) and obstacle "
                             "polygons (4 corners each)");

  py::class_<PyVectorEnv>(m, "VectorEnv")
      .def("reset", &PyVectorEnv::Reset, py::kw_only(), py::arg("seed") = py::none(),
           py::arg("options") = py::none())
      .def("step", &PyVectorEnv::Step, py::arg("actions"))
      .def("close", [](PyVectorEnv&) {})
      .def_property_readonly("num_envs", &PyVectorEnv::num_envs)
      .def_readonly("single_observation_space", &PyVectorEnv::single_observation_space_)
      .def_readonly("single_action_space", &PyVectorEnv::single_action_space_)
      .def_readonly("observation_space", &PyVectorEnv::observation_space_)
      .def_readonly("action_space", &PyVectorEnv::action_space_)
      .def_property_readonly("spec", [](const PyVectorEnv& v) { return SpecOf(v.vec().spec()); });

  py::class_<PyRemoteEnv>(m, "RemoteEnv")
      .def("reset", &PyRemoteEnv::Reset, py::kw_only(), py::arg("seed") = py::none(),
           py::arg("options") = py::none())
      .def("step", &PyRemoteEnv::Step, py::arg("action"))
      .def("close", &PyRemoteEnv::Close)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyRemoteEnv& e, py::args) { e.Close(); })
      .def_readonly("observation_space", &PyRemoteEnv::observation_space_)
      .def_readonly("action_space", &PyRemoteEnv::action_space_)
      .def_property_readonly("session_id", &PyRemoteEnv::session_id)
      .def_property_readonly("spec", [](const PyRemoteEnv& e) { return SpecOf(e.spec()); })
      .def_property_readonly("unwrapped", [](py::object self) { return self; });

  m.def("remote",
        [](const std::string& url, std::optional<std::string> token) {
          return std::make_unique<PyRemoteEnv>(url, token);
        },
        py::arg("url"), py::kw_only(), py::arg("token") = py::none(),
        "an env served by `fleet serve` at url (http://HOST:PORT), with fleet.make's API");
  m.def("make", [](const std::string& id, py::kwargs kwargs) { return PyEnv(id, kwargs); },
        py::arg("id"));
  m.def("make_vec",
        [](const std::string& id, int num_envs, int num_threads, py::kwargs kwargs) {
          return PyVectorEnv(id, num_envs, num_threads, kwargs);
        },
        py::arg("id"), py::arg("num_envs") = 1, py::kw_only(), py::arg("num_threads") = 1,
        "N envs stepped as a batch; num_threads > 1 steps them on worker threads");
  m.def("registered_ids", &RegisteredIds);
}

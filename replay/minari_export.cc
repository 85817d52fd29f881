#include "replay/minari_export.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <hdf5.h>

#include "common/json.h"
#include "common/experiment_config.h"
#include "envs/gymnasium_spec.h"
#include "envs/registry.h"
#include "replay/dataset_reader.h"
#include "replay/h5_read.h"

namespace fleet::replay {
namespace {

namespace fs = std::filesystem;

Status Write(hid_t group, const char* name, hid_t mem_type, hid_t file_type, const void* data,
             hsize_t rows, hsize_t cols) {
  const int rank = cols ? 2 : 1;
  hsize_t dims[2] = {rows, cols};
  hid_t space = H5Screate_simple(rank, dims, nullptr);
  hid_t d = H5Dcreate2(group, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const bool ok = d >= 0 && (rows == 0 || H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  if (d >= 0) H5Dclose(d);
  H5Sclose(space);
  return ok ? OkStatus() : InternalError(std::string("cannot write Minari dataset '") + name + "'");
}

void SetAttr(hid_t obj, const char* name, int64_t v) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  H5Sclose(space);
}

}  // namespace

StatusOr<MinariExportReport> ExportMinari(const std::string& dataset, const std::string& out,
                                          const MinariExportOptions& options) {
  FLEET_ASSIGN_OR_RETURN(DatasetReport report, InspectDataset(dataset));
  if (!report.ok()) {
    return DataLossError("dataset '" + dataset + "' does not verify; run `fleet dataset verify`");
  }
  FLEET_ASSIGN_OR_RETURN(auto spec, envs::GetSpec(report.env_id));
  // The env options the data was collected with, from the first shard's manifest (the
  // run's config), for the Gymnasium env_spec; a missing or unreadable manifest leaves
  // the spec without them and says so.
  std::map<std::string, std::string> env_options;
  std::string options_note;
  {
    std::ifstream in(report.shards.front().path + ".json");
    std::stringstream text;
    text << in.rdbuf();
    std::optional<std::string> yaml = JsonStringField(text.str(), "config_yaml");
    StatusOr<ExperimentConfig> cfg =
        yaml ? ParseExperimentConfig(*yaml)
             : StatusOr<ExperimentConfig>(NotFoundError("no config_yaml in the manifest"));
    if (cfg.ok()) {
      env_options = cfg->env.options;
    } else {
      options_note = "env options unknown (" + report.shards.front().path +
                     ".json: " + cfg.status().ToString() + "); env_spec has the defaults";
    }
  }
  StatusOr<std::string> env_spec = envs::GymnasiumEnvSpecJson(spec, env_options);
  MinariExportReport r;
  if (!options_note.empty()) r.warnings.push_back(options_note);
  if (!env_spec.ok()) r.warnings.push_back("no env_spec: " + env_spec.status().ToString());
  const std::string data_dir = out + "/data";
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return UnavailableError("cannot create '" + data_dir + "': " + ec.message());
  if (fs::exists(data_dir + "/metadata.json")) {
    return FailedPreconditionError("a Minari dataset already exists at '" + data_dir + "'");
  }
  const std::string h5 = data_dir + "/main_data.hdf5";
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t outf = H5Fcreate(h5.c_str(), H5F_ACC_EXCL, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  if (outf < 0) return UnavailableError("cannot create '" + h5 + "'");
  const bool discrete = spec.action_space.is_discrete();
  r.data_dir = data_dir;
  Status st = OkStatus();
  for (const auto& shard : report.shards) {
    hid_t f = H5Fopen(shard.path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
      st = DataLossError("cannot open '" + shard.path + "'");
      break;
    }
    std::vector<float> obs, cont, rewards, final_obs;
    std::vector<int64_t> disc, start, length;
    std::vector<uint8_t> term, trunc;
    hsize_t D = 0, A = 1;
    bool ok = ReadH5Dataset(f, "observations", H5T_NATIVE_FLOAT, obs, &D) &&
              ReadH5Dataset(f, "rewards", H5T_NATIVE_FLOAT, rewards) &&
              ReadH5Dataset(f, "terminals", H5T_NATIVE_UINT8, term) &&
              ReadH5Dataset(f, "timeouts", H5T_NATIVE_UINT8, trunc) &&
              ReadH5Dataset(f, "episodes/start", H5T_NATIVE_INT64, start) &&
              ReadH5Dataset(f, "episodes/length", H5T_NATIVE_INT64, length);
    ok = ok && (discrete ? ReadH5Dataset(f, "actions", H5T_NATIVE_INT64, disc)
                         : ReadH5Dataset(f, "actions", H5T_NATIVE_FLOAT, cont, &A));
    const bool have_final = ok && ReadH5Dataset(f, "episodes/final_observation", H5T_NATIVE_FLOAT, final_obs);
    H5Fclose(f);
    if (!ok) {
      st = DataLossError("cannot read '" + shard.path + "'");
      break;
    }
    if (!have_final) {
      st = FailedPreconditionError("'" + shard.path + "' has no episodes/final_observation (recorded "
                                   "before dataset format 2); Minari needs each episode's last "
                                   "observation");
      break;
    }
    for (size_t e = 0; e < start.size() && st.ok(); ++e) {
      const size_t s0 = start[e], L = length[e];
      std::vector<float> o(obs.begin() + s0 * D, obs.begin() + (s0 + L) * D);
      o.insert(o.end(), final_obs.begin() + e * D, final_obs.begin() + (e + 1) * D);
      std::vector<double> rw(rewards.begin() + s0, rewards.begin() + s0 + L);
      std::vector<uint8_t> te(term.begin() + s0, term.begin() + s0 + L);
      std::vector<uint8_t> tr(trunc.begin() + s0, trunc.begin() + s0 + L);
      const std::string name = "episode_" + std::to_string(r.episodes);
      hid_t g = H5Gcreate2(outf, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (g < 0) {
        st = InternalError("cannot create group " + name);
        break;
      }
      SetAttr(g, "id", r.episodes);
      SetAttr(g, "total_steps", static_cast<int64_t>(L));
      // numpy's bool is HDF5's 8-bit enum {FALSE, TRUE}, as h5py writes it.
      hid_t booltype = H5Tenum_create(H5T_NATIVE_INT8);
      int8_t v0 = 0, v1 = 1;
      H5Tenum_insert(booltype, "FALSE", &v0);
      H5Tenum_insert(booltype, "TRUE", &v1);
      st = Write(g, "observations", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, o.data(), L + 1, D);
      if (st.ok()) {
        st = discrete ? Write(g, "actions", H5T_NATIVE_INT64, H5T_STD_I64LE, disc.data() + s0, L, 0)
                      : Write(g, "actions", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, cont.data() + s0 * A, L, A);
      }
      if (st.ok()) st = Write(g, "rewards", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, rw.data(), L, 0);
      if (st.ok()) st = Write(g, "terminations", booltype, booltype, te.data(), L, 0);
      if (st.ok()) st = Write(g, "truncations", booltype, booltype, tr.data(), L, 0);
      H5Tclose(booltype);
      H5Gclose(g);
      ++r.episodes;
      r.steps += static_cast<int64_t>(L);
    }
    if (!st.ok()) break;
  }
  H5Fclose(outf);
  if (!st.ok()) return st;
  std::string id = options.dataset_id;
  if (id.empty()) {
    id = spec.id;
    std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
    id = "fleet/" + id.substr(0, id.rfind("-v")) + "-v0";
  }
  std::ofstream meta(data_dir + "/metadata.json");
  meta << "{\"dataset_id\": \"" << JsonEscape(id) << "\", \"minari_version\": \"0.5.0\", "
       << "\"data_format\": \"hdf5\", \"jpeg_encoding\": false, "
       << "\"total_episodes\": " << r.episodes << ", \"total_steps\": " << r.steps << ", "
       << "\"dataset_size\": " << std::fixed << (fs::file_size(h5) / 1e6) << ", "
       << "\"algorithm_name\": \"fleet\", "
       << "\"observation_space\": \"" << JsonEscape(envs::SpaceToJson(spec.observation_space)) << "\", "
       << "\"action_space\": \"" << JsonEscape(envs::SpaceToJson(spec.action_space)) << "\"";
  if (env_spec.ok()) meta << ", \"env_spec\": \"" << JsonEscape(*env_spec) << "\"";
  meta << "}\n";
  meta.close();
  if (!meta) return UnavailableError("cannot write " + data_dir + "/metadata.json");
  return r;
}

}  // namespace fleet::replay

#!/usr/bin/env bash
# The AVX2 build of the Decision Transformer forward pass (actor/dt_forward_avx2.cc) must
# define no function that another translation unit could also define: the linker keeps
# one copy of each inline function or template instance, and if it kept an AVX-encoded one
# the baseline code would run AVX instructions on a CPU without them. So every function
# the object defines must sit in its own namespaces (Eigen renamed to FleetEigenAvx2, the
# model in dt_avx2) but for its one entry point.
#
#   tests/actor/dt_forward_isolation.sh OBJECT...   (the fleet_actor objects; the AVX2 one is picked)
set -euo pipefail
obj=""
for arg in "$@"; do  # ctest hands the object list over as one ;-separated argument
  IFS=';' read -r -a objects <<< "$arg"
  for o in "${objects[@]}"; do [[ "$o" == *dt_forward_avx2.cc.o ]] && obj=$o; done
done
[[ -n "$obj" ]] || { echo "no dt_forward_avx2.cc.o among the objects" >&2; exit 1; }
# defined symbols: T/t text, W/V weak (inline functions, template instances, vtables)
leaks=$(nm -C --defined-only "$obj" | awk '$2 ~ /^[TWVtw]$/ { $1 = ""; $2 = ""; print }' |
  sed 's/^ *//' |
  grep -v -e 'FleetEigenAvx2::' -e 'dt_avx2::' -e '^fleet::actor::NewDtForwardAvx2(' \
          -e '^DW.ref.__gxx_personality_v0$' || true)
if [[ -n "$leaks" ]]; then
  echo "dt_forward_avx2.cc.o defines functions outside its own namespaces:" >&2
  echo "$leaks" >&2
  exit 1
fi
echo "ok: $(nm --defined-only "$obj" | wc -l) symbols, all in FleetEigenAvx2::, dt_avx2:: or the entry point"

/* fuzz_sweep.c - sweep files through scn_sweep_load (scenarios/scn_sweep.c)
 * against a small base scenario written beside them as base.json (a sweep
 * may also carry its base inline). An accepted sweep must be consistent:
 * points = combinations x seeds, every point maps to a valid (combination,
 * seed), the axes of the first and last combination print as JSON, and
 * their scenarios load or are rejected with a message. */
#include <string.h>

#include "fuzz_util.h"
#include "scn_sweep.h"
#include "ss_alloc.h"
#include "ss_json.h"

static const char base[] =
    "{\"version\": 1, \"seed\": 1, \"model\": {\"synthetic\": {\"service_time_s\": 1}},"
    " \"network\": {\"regions\": [\"eu\"], \"rtt_ms\": [[0.5]]},"
    " \"nodes\": [{\"name\": \"a\", \"count\": 2, \"region\": \"eu\", \"device\":"
    " {\"peak_tflops\": 10, \"mem_bw_gbps\": 100, \"memory_gb\": 16}}],"
    " \"routing\": {\"policy\": \"fixed\"},"
    " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 3,"
    " \"prompt_tokens\": 4, \"output_tokens\": 4}}";

static void load_point(const scn_sweep *sw, size_t combo, uint64_t seed)
{
    char *axes = NULL;
    fuzz_check(scn_sweep_axes_json(sw, combo, &axes) == SS_OK, "axes JSON failed");
    cJSON *j = cJSON_Parse(axes);
    fuzz_check(j != NULL && cJSON_IsObject(j), "axes JSON is not an object");
    fuzz_check((size_t)cJSON_GetArraySize(j) <= sw->n_axes, "axes JSON has extra members");
    cJSON_Delete(j);
    ss_free(axes);
    scn_scenario s;
    char err[1024] = "";
    ss_status st = scn_sweep_load_point(sw, combo, seed, &s, err, sizeof err);
    fuzz_note("point", st == SS_OK ? "accepted" : err);
    fuzz_check(st == SS_OK || err[0] != '\0', "a rejected point without a message");
    if (st == SS_OK)
        fuzz_check(s.seed == seed, "the point's scenario does not carry its seed");
    scn_scenario_fini(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("base.json", base, sizeof base - 1);
    const char *path = fuzz_write("sweep.json", data, size);
    scn_sweep sw;
    char err[1024] = "";
    ss_status st = scn_sweep_load(path, &sw, err, sizeof err);
    fuzz_note("sweep", st == SS_OK ? "accepted" : err);
    if (st != SS_OK) {
        fuzz_check(err[0] != '\0', "a rejection without a message");
        scn_sweep_fini(&sw);
        return 0;
    }
    fuzz_check(sw.n_seeds >= 1 && sw.n_combos >= 1, "an accepted sweep with no points");
    fuzz_check(sw.n_points == sw.n_combos * sw.n_seeds, "points != combinations x seeds");
    fuzz_check(sw.n_axes <= SCN_SWEEP_MAX_AXES, "too many axes accepted");
    for (size_t a = 0; a < sw.n_axes; a++)
        fuzz_check(sw.axes[a].n_values >= 1 && sw.axes[a].n_values <= SCN_SWEEP_MAX_VALUES,
                   "an axis size out of range accepted");
    size_t last = sw.n_points - 1, combo;
    uint64_t seed;
    scn_sweep_point(&sw, last, &combo, &seed);
    fuzz_check(combo == sw.n_combos - 1 && seed == sw.seeds[sw.n_seeds - 1],
               "the last point is not the last combination's last seed");
    scn_sweep_point(&sw, 0, &combo, &seed);
    fuzz_check(combo == 0 && seed == sw.seeds[0], "the first point is not (0, first seed)");
    load_point(&sw, 0, sw.seeds[0]);
    if (sw.n_combos > 1)
        load_point(&sw, sw.n_combos - 1, sw.seeds[sw.n_seeds - 1]);
    scn_sweep_fini(&sw);
    return 0;
}

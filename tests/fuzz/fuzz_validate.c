/* fuzz_validate.c - scenario files past the schema: scn_load, then
 * exp_validate, every check `shardsim run` makes before its first event
 * (registry names, presets, measured-RTT cities, the world of one seed
 * built and torn down: node populations, placement, memory, workload,
 * churn, faults). Files the scenario names resolve against the harness's
 * temporary folder, so they are missing unless they are bundled presets or
 * shared assets. Rejections must be one line; nothing may take more than
 * libFuzzer's -timeout (bounded cost, PITFALLS.md contract 5). */
#include <string.h>

#include "exp_run.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("scenario.json", data, size);
    scn_scenario s;
    char err[1024];
    ss_status st = scn_load(path, NULL, 0, &s, err, sizeof err);
    if (st == SS_OK) {
        const exp_run_opts o = {.assets_dir = SS_SHARED_DIR "/assets",
                                .presets_dir = SS_SOURCE_DIR "/models/presets"};
        st = exp_validate(&s, &o, err, sizeof err);
        fuzz_note("validate", st == SS_OK ? "accepted" : err);
        if (st != SS_OK)
            fuzz_check(err[0] && !strchr(err, '\n'), "a rejection without a one-line message");
    }
    scn_scenario_fini(&s);
    return 0;
}

/* fuzz_scenario.c - scenario files through scn_load (scenarios/), the whole
 * schema: nodes, devices, workload, faults, batching, overrides' target
 * paths. The input is the file; on success the canonical JSON must itself
 * load again (the run key hashes it). */
#include <string.h>

#include "fuzz_util.h"
#include "scn_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("scenario.json", data, size);
    scn_scenario s;
    char err[1024];
    ss_status st = scn_load(path, NULL, 0, &s, err, sizeof err);
    fuzz_note("scenario", st == SS_OK ? "accepted" : err);
    if (st != SS_OK) {
        fuzz_check(err[0] != '\0', "a rejection without a message");
        scn_scenario_fini(&s);
        return 0;
    }
    fuzz_check(s.canonical_json != NULL, "no canonical JSON");
    const char *again = fuzz_write("canonical.json", s.canonical_json, strlen(s.canonical_json));
    scn_scenario s2;
    st = scn_load(again, NULL, 0, &s2, err, sizeof err);
    fuzz_check(st == SS_OK, "the canonical JSON of an accepted scenario was rejected");
    fuzz_check(strcmp(s.canonical_json, s2.canonical_json) == 0, "canonical JSON not a fixpoint");
    scn_scenario_fini(&s2);
    scn_scenario_fini(&s);
    return 0;
}

/* fuzz_override.c - `--set path=value` overrides (scn_override.c) on the
 * bundled default scenario: the input is "PATH\nVALUE[\nPATH\nVALUE...]",
 * up to 4 overrides, applied by scn_load exactly as the CLI's --set does.
 * A malformed path, a value of the wrong type or a path into nothing must
 * be a one-line rejection; an accepted override must show in the canonical
 * JSON's reload (a fixpoint, as for whole files). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "scn_scenario.h"

#define MAX_OV 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    fuzz_check(text != NULL, "malloc");
    memcpy(text, data, size);
    text[size] = '\0';
    scn_override ov[MAX_OV];
    size_t n = 0;
    char *p = text;
    while (n < MAX_OV && *p) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        char *value = nl + 1, *end = strchr(value, '\n');
        if (end)
            *end = '\0';
        ov[n++] = (scn_override){p, value};
        if (!end)
            break;
        p = end + 1;
    }
    scn_scenario s;
    char err[1024];
    ss_status st = scn_load(SS_SOURCE_DIR "/scenarios/default.json", ov, n, &s, err, sizeof err);
    fuzz_note("override", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        const char *again = fuzz_write("canonical.json", s.canonical_json,
                                       strlen(s.canonical_json));
        scn_scenario s2;
        fuzz_check(scn_load(again, NULL, 0, &s2, err, sizeof err) == SS_OK,
                   "the canonical JSON of an overridden scenario was rejected");
        fuzz_check(strcmp(s.canonical_json, s2.canonical_json) == 0,
                   "canonical JSON not a fixpoint");
        scn_scenario_fini(&s2);
    } else {
        fuzz_check(err[0] && !strchr(err, '\n'), "a rejection without a one-line message");
    }
    scn_scenario_fini(&s);
    free(text);
    return 0;
}

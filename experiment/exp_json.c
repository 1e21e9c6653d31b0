/* exp_json.c - run-key JSON of measured runs (eval, pareto), asset paths. */
#include "exp_int.h"

#include <stdio.h>

#include "ss_alloc.h"

char *exp_key_json(const scn_scenario *s, const char *what, cJSON *fields)
{
    cJSON *root = cJSON_CreateObject(), *scn = cJSON_Parse(s->canonical_json);
    char *out = NULL;
    if (root && fields && scn && cJSON_AddItemToObject(root, what, fields)) {
        fields = NULL;
        if (cJSON_AddItemToObject(root, "scenario", scn)) {
            scn = NULL;
            char *p = cJSON_PrintUnformatted(root);
            if (p) {
                out = ss_strdup(p);
                cJSON_free(p);
            }
        }
    }
    cJSON_Delete(fields);
    cJSON_Delete(scn);
    cJSON_Delete(root);
    return out;
}

ss_status exp_join(char *dst, const char *dir, const char *rel, char *err, size_t errlen)
{
    int n = snprintf(dst, EXP_PATH_MAX, "%s/%s", dir, rel);
    if (n < 0 || n >= EXP_PATH_MAX)
        return ss_err(err, errlen, SS_ERANGE, "%s/%s: expected a path of at most %d bytes", dir,
                      rel, EXP_PATH_MAX - 1);
    return SS_OK;
}

/* real_model.h - the model a scenario names, loaded for simulation.
 *
 * One place turns scenario.model into what the simulator and the evaluation
 * commands need: always a block description (model_desc) for the cost model
 * and placement, and in real mode the loaded network (model_net) and, for
 * language models, its tokenizer.
 */
#ifndef REAL_MODEL_H
#define REAL_MODEL_H

#include <stddef.h>

#include "model_desc.h"
#include "model_net.h"
#include "model_tokenizer.h"
#include "scn_scenario.h"
#include "ss_status.h"

typedef struct real_model {
    model_desc desc;
    int synthetic;          /* compute times drawn, not derived */
    model_net *net;         /* real mode only, owned */
    model_tokenizer *tok;   /* llama2c only, owned */
} real_model;

/* Load what s->model names. `presets_dir` holds architecture presets;
 * `model_path` (NULL: keep) replaces the scenario's weights file. Errors
 * name the file and what is wrong; *out is zeroed on failure. */
ss_status real_model_load(const scn_scenario *s, const char *presets_dir, const char *model_path,
                         real_model *out, char *err, size_t errlen);
void real_model_fini(real_model *m); /* zeroed struct allowed */

#endif

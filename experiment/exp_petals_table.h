/* exp_petals_table.h - every Petals setup of a setups file (default
 * scenarios/petals/setups.json) run with a fitted device profile: one row
 * per setup with sequential steps/s at two lengths, parallel-forward
 * tokens/s at 1 x 128 and 64 x 128, and one step's parts (exp_fit.h's
 * measures), stored in the results database's `petals_table`
 * (analysis/README.md). */
#ifndef EXP_PETALS_TABLE_H
#define EXP_PETALS_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "ana_db.h"
#include "exp_fit.h"

typedef struct exp_pt_row {
    char setup[64];       /* setups[i].name */
    char table[16];       /* the paper's table it reproduces ("1", "2", "3") */
    int clients;          /* concurrent clients */
    int len[2];           /* sequence lengths of the two sequential measures */
    double steps_per_s[2];/* per client, at len[0] and len[1] (finished sessions) */
    int failed[2];        /* sessions that never got KV room, at len[0] and len[1] */
    double fwd_tokens_per_s[2]; /* per client, batch 1 x 128 and 64 x 128 */
    exp_step_parts step;  /* one step at len[0] */
} exp_pt_row;

typedef struct exp_pt_opts {
    const char *setups;   /* setups file; NULL: <home>/scenarios/petals/setups.json */
    const char *profile;  /* fitted device profile; NULL: the setups file's "profile" */
    const char *presets;  /* model presets folder; NULL: the home's */
    const char *only;     /* run only setups whose name contains this; NULL: all */
} exp_pt_opts;

/* Run every setup; *rows (ss_malloc'd, the caller's to ss_free) and *n.
 * Status: SS_OK; a setups-file error (one line: file, JSON path, what was
 * expected: SS_EPARSE, SS_ESCHEMA, SS_ERANGE, SS_ENOENT), a scenario's or
 * a simulation's status (err names the setup). */
ss_status exp_petals_table(const exp_pt_opts *o, exp_pt_row **rows, int *n, char *err,
                           size_t errlen);

/* Print the rows as an aligned table. */
void exp_petals_table_print(FILE *out, const exp_pt_row *rows, int n);

/* Store the rows in one transaction, replacing the rows of an earlier
 * table made with the same profile and setups (`petals_table`). */
ss_status exp_petals_table_store(ana_db *db, const exp_pt_row *rows, int n, const char *setups,
                                 const char *profile, char *err, size_t errlen);

#endif

/* ana_digest_int.h - shared inside analysis/ only: the run digest broken
 * down by table, row and column, so the regression gate (ana_gate.c) can
 * name where two runs first differ without keeping either run's rows.
 *
 * For each digested table (ana_digest.c's order: runs, requests, nodes,
 * metrics, accuracy): the table's own SHA-256 (over the same canonical
 * stream as ana_run_digest, that table's part only), one 64-bit hash per row
 * (the first 8 bytes of SHA-256 over the row's canonical line) in primary
 * key order, and one 64-bit hash per included column (over that column's
 * canonical fields, row after row). The detail of a run of R rows costs
 * 8 R bytes plus the column names.
 */
#ifndef ANA_DIGEST_INT_H
#define ANA_DIGEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ana_db.h"
#include "ss_status.h"

#define ANA_DIGEST_N_TABLES 5
#define ANA_DIGEST_MAX_COLS 32

typedef struct ana_digest_table {
    const char *name;                       /* static */
    char hex[65];                           /* SHA-256 of this table's canonical stream */
    size_t n_rows;
    uint64_t *row_hash;                     /* (n_rows) ss_malloc'd */
    int n_cols;
    char col_name[ANA_DIGEST_MAX_COLS][64]; /* included columns, in SELECT * order */
    uint64_t col_hash[ANA_DIGEST_MAX_COLS];
} ana_digest_table;

typedef struct ana_digest_detail {
    char hex[65]; /* = ana_run_digest */
    ana_digest_table table[ANA_DIGEST_N_TABLES];
} ana_digest_detail;

/* The digest of run_id with its breakdown. Status as ana_run_digest.
 * Release with ana_digest_detail_fini (also after an error). */
ss_status ana_digest_detail_compute(ana_db *db, int64_t run_id, ana_digest_detail *out,
                                    char *err, size_t errlen);
void ana_digest_detail_fini(ana_digest_detail *d);

/* A human name of row `row` of table t of run_id: its primary key, e.g.
 * "id=17", "name=e2e_s_p99", "codec=fp16, metric=kl_mean" (into buf). */
void ana_digest_row_name(ana_db *db, int64_t run_id, size_t t, size_t row, char *buf, size_t n);

#endif

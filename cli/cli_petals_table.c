/* cli_petals_table.c - `shardsim petals-table [--db FILE]`: every Petals
 * setup with the fitted profile, one row each (exp_petals_table). */
#include <stddef.h>

#include "cli.h"
#include "exp_petals_table.h"
#include "ss_alloc.h"

typedef struct pt_args {
    const char *db, *setups, *profile, *presets, *only;
} pt_args;

static const cli_opt pt_opts[] = {
    CLI_OPTION("--db", NULL, CLI_PATH, offsetof(pt_args, db), "FILE",
               "also store the table in this results database (petals_table)"),
    CLI_OPTION("--setups", NULL, CLI_PATH, offsetof(pt_args, setups), "FILE",
               "setups file (default scenarios/petals/setups.json of the home)"),
    CLI_OPTION("--profile", NULL, CLI_PATH, offsetof(pt_args, profile), "FILE",
               "fitted device profile (default: the setups file's \"profile\")"),
    CLI_OPTION("--only", NULL, CLI_STRING, offsetof(pt_args, only), "TEXT",
               "only the setups whose name contains TEXT"),
    CLI_OPTION("--presets", NULL, CLI_PATH, offsetof(pt_args, presets), "DIR",
               "folder of model presets (default: models/presets of the home)",
               .expect = "a folder"),
};

static const cli_cmd pt_cmd = {
    .name = "petals-table",
    .synopsis = "[OPTIONS]",
    .description =
        "Run every setup of Petals' NeurIPS 2023 Tables 1-3 (scenarios/petals/) with the\n"
        "fitted device profile and print one row per setup: sequential inference\n"
        "steps/s per client at two sequence lengths (a, b: 128 and 2048 unless the\n"
        "setup says otherwise), parallel forward tokens/s per client at 1 x 128 and\n"
        "64 x 128, and the parts of one step at length a in ms: client compute, server\n"
        "compute, network, queueing (models/COST_MODEL.md, \"Reproducing Petals\").\n",
    .opts = pt_opts,
    .n_opts = sizeof pt_opts / sizeof pt_opts[0],
    .noun = "argument",
    .min_pos = 0,
    .max_pos = 0,
};

static int pt_run(const pt_args *a)
{
    char err[1024];
    exp_pt_row *rows = NULL;
    int n = 0, rc = CLI_EX_OK;
    exp_pt_opts o = {.setups = a->setups, .profile = a->profile, .presets = a->presets,
                     .only = a->only};
    ss_status st = exp_petals_table(&o, &rows, &n, err, sizeof err);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim petals-table: %s\n", err);
        rc = cli_exit_for_input(st);
    } else
        exp_petals_table_print(stdout, rows, n);
    ana_db *db = NULL;
    if (rc == CLI_EX_OK && a->db && (rc = cli_open_db("petals-table", a->db, &db)) == 0) {
        st = exp_petals_table_store(db, rows, n, a->setups ? a->setups : "(default)",
                                    a->profile ? a->profile : "(default)", err, sizeof err);
        if (st != SS_OK) {
            fprintf(stderr, "shardsim petals-table: %s\n", err);
            rc = cli_exit_for_db(st);
        }
        ana_db_close(db);
    }
    ss_free(rows);
    return rc;
}

int cli_petals_table(int argc, char **argv)
{
    pt_args a = {0};
    cli_parsed p;
    int rc = cli_parse(&pt_cmd, argc, argv, &a, &p);
    if (rc < 0)
        rc = pt_run(&a);
    cli_parsed_fini(&p);
    return rc;
}

/* cli_opt.c - the option tables: parsing and --help from the same data.
 *
 * Parsing is in argv order: the first error (or -h) wins. Values are
 * "--name VALUE" or "--name=VALUE"; argv strings of --set are split in
 * place at '=' (they are ours to modify).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ss_alloc.h"

#define HELP_COLUMN 23 /* where help texts start: "  --name VALUE" padded */

int cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

static int usage_error(const cli_cmd *cmd, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "shardsim %s: ", cmd->name);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return CLI_EX_USAGE;
}

/* A whole decimal token (no sign, no spaces): strtoull would accept "-1", " 7", "+7". */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return 0;
    *out = v;
    return 1;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s)
        return 0;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* Store value v of option o into args; 0 if v is not acceptable. */
static int store(const cli_opt *o, const char *v, void *args, cli_parsed *p)
{
    char *field = (char *)args + o->offset;
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)field = 1;
        return 1;
    case CLI_U64:
        return parse_u64(v, &((cli_u64 *)field)->v) && (((cli_u64 *)field)->set = 1);
    case CLI_INT:
        return parse_long(v, o->lo, o->hi, (long *)field);
    case CLI_STRING:
        return v && (*(const char **)field = v, 1);
    case CLI_PATH:
        return v && *v && (*(const char **)field = v, 1);
    case CLI_OVERRIDE: {
        char *eq = v ? strchr(v, '=') : NULL;
        if (!eq || eq == v)
            return 0;
        *eq = 0;
        p->ov[p->n_ov++] = (scn_override){v, eq + 1};
        return 1;
    }
    }
    return 0;
}

static int bad_value(const cli_cmd *cmd, const cli_opt *o, const char *v)
{
    char expect[96];
    if (o->expect)
        snprintf(expect, sizeof expect, "%s", o->expect);
    else if (o->kind == CLI_U64)
        snprintf(expect, sizeof expect, "an integer 0..18446744073709551615");
    else if (o->kind == CLI_INT)
        snprintf(expect, sizeof expect, "an integer %ld..%ld", o->lo, o->hi);
    else if (o->kind == CLI_OVERRIDE)
        snprintf(expect, sizeof expect, "PATH=VALUE");
    else
        snprintf(expect, sizeof expect, "a value");
    fprintf(stderr, "shardsim %s: %s: expected %s, got \"%s\"\n", cmd->name, o->name, expect,
            v ? v : "");
    return CLI_EX_USAGE;
}

/* Option o at argv[*i]? Sets *v to its value (NULL when missing), advancing
 * *i past a separate value. */
static int matches(const cli_opt *o, int argc, char **argv, int *i, const char **v)
{
    const char *a = argv[*i];
    size_t n = strlen(o->name);
    *v = NULL;
    if (o->kind == CLI_FLAG)
        return strcmp(a, o->name) == 0 || (o->short_name && strcmp(a, o->short_name) == 0);
    /* A short option with a value: "-j 2" or "-j2". */
    size_t sn = o->short_name ? strlen(o->short_name) : 0;
    if (sn && strncmp(a, o->short_name, sn) == 0) {
        if (a[sn])
            *v = a + sn;
        else if (*i + 1 < argc)
            *v = argv[++*i];
        return 1;
    }
    if (strncmp(a, o->name, n) != 0 || (a[n] && a[n] != '='))
        return 0;
    if (a[n] == '=')
        *v = a + n + 1;
    else if (*i + 1 < argc)
        *v = argv[++*i];
    return 1;
}

/* Every required option given? Compares the field with its zero value. */
static int missing_required(const cli_cmd *cmd, const void *args)
{
    for (size_t k = 0; k < cmd->n_opts; k++) {
        const cli_opt *o = &cmd->opts[k];
        if (o->required && !*(const char *const *)((const char *)args + o->offset))
            return 1;
    }
    return 0;
}

static int one_arg(const cli_cmd *cmd, int argc, char **argv, int *i, void *args, cli_parsed *p)
{
    const char *v;
    for (size_t k = 0; k < cmd->n_opts; k++) {
        if (matches(&cmd->opts[k], argc, argv, i, &v))
            return store(&cmd->opts[k], v, args, p) ? -1 : bad_value(cmd, &cmd->opts[k], v);
    }
    const char *a = argv[*i];
    if (a[0] == '-' && a[1])
        return usage_error(cmd, "unknown option \"%s\" (see shardsim %s --help)", a, cmd->name);
    if (cmd->max_pos == 0)
        return usage_error(cmd, "unexpected argument \"%s\" (see shardsim %s --help)", a,
                           cmd->name);
    if (cmd->max_pos > 0 && p->n_pos >= cmd->max_pos) {
        fprintf(stderr, "shardsim %s: one %s at a time, got \"%s\" and \"%s\"\n", cmd->name,
                cmd->noun, p->pos[p->n_pos - 1], a);
        return CLI_EX_USAGE;
    }
    p->pos[p->n_pos++] = a;
    return -1;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, void *args, cli_parsed *p)
{
    memset(p, 0, sizeof *p);
    p->pos = ss_calloc((size_t)argc + 1, sizeof *p->pos);
    p->ov = ss_calloc((size_t)argc + 1, sizeof *p->ov);
    if (!p->pos || !p->ov)
        return CLI_EX_SOFTWARE;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            cli_usage(cmd, stdout);
            return CLI_EX_OK;
        }
        int rc = one_arg(cmd, argc, argv, &i, args, p);
        if (rc >= 0)
            return rc;
    }
    if (p->n_pos < cmd->min_pos || missing_required(cmd, args)) {
        cli_usage(cmd, stderr);
        return CLI_EX_USAGE;
    }
    return -1;
}

void cli_parsed_fini(cli_parsed *p)
{
    ss_free(p->pos);
    ss_free(p->ov);
    memset(p, 0, sizeof *p);
}

/* "  LABEL   first help line\n" then each further line under the first. */
static void option_help(FILE *out, const char *label, const char *help)
{
    int n = fprintf(out, "  %s", label);
    for (const char *line = help; line;) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        if (n >= HELP_COLUMN - 1) /* label too long: help on its own line */
            n = fprintf(out, "\n") - 1;
        fprintf(out, "%*s%.*s\n", HELP_COLUMN - n, "", len, line);
        n = 0;
        line = nl ? nl + 1 : NULL;
    }
}

void cli_usage(const cli_cmd *cmd, FILE *out)
{
    fprintf(out, "Usage: shardsim %s %s\n\n%s", cmd->name, cmd->synopsis, cmd->description);
    fputs("\nOptions:\n", out);
    for (size_t k = 0; k < cmd->n_opts; k++) {
        const cli_opt *o = &cmd->opts[k];
        char label[64];
        if (o->short_name && o->metavar)
            snprintf(label, sizeof label, "%s, %s %s", o->short_name, o->name, o->metavar);
        else if (o->short_name)
            snprintf(label, sizeof label, "%s, %s", o->short_name, o->name);
        else if (o->metavar)
            snprintf(label, sizeof label, "%s %s", o->name, o->metavar);
        else
            snprintf(label, sizeof label, "%s", o->name);
        option_help(out, label, o->help);
    }
    option_help(out, "-h, --help", "this text");
    fprintf(out, "\n%s", cmd->epilogue ? cmd->epilogue : "Exit status: see `shardsim --help`.\n");
}

/* check_scn.c - scenario loading: the examples, --set overrides, the bad
 * corpus in tests/bad/scenarios (each file against its exact .expected
 * line), and clean failure at every allocation. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scn_hardware.h"
#include "scn_scenario.h"
#include "ss_alloc.h"
#include "ss_json.h"
#include "test_util.h"

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void load_ok(const char *path, const scn_override *ov, size_t n, scn_scenario *s)
{
    char err[1024] = "";
    ss_status rc = scn_load(path, ov, n, s, err, sizeof err);
    ck_assert_msg(rc == SS_OK, "%s: %s", ss_status_name(rc), err);
}

/* Write `text` to a temporary scenario file; returns its path (static). */
static const char *tmp_scenario(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/scn_testXXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

#define MINIMAL                                                                                    \
    "{\"version\": 1, \"model\": {\"synthetic\": {\"service_time_s\": 1}},\n"                       \
    " \"nodes\": [{\"name\": \"%s\", \"count\": %d, \"device\": {\"peak_tflops\": 1,"               \
    " \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n"                                                  \
    " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 1,"          \
    " \"prompt_tokens\": 1, \"output_tokens\": 1}%s}\n"

START_TEST(test_default_scenario_has_the_documented_values)
{
    scn_scenario s;
    load_ok(SS_SRC("scenarios/default.json"), NULL, 0, &s);
    ck_assert_str_eq(s.name, "default");
    ck_assert_int_eq(s.version, 1);
    ck_assert_uint_eq(s.seed, 42);
    ck_assert(s.horizon_s == 3600);
    ck_assert_int_eq(s.model.kind, SCN_MODEL_PRESET);
    ck_assert_str_eq(s.model.preset, "llama-2-7b");
    ck_assert_str_eq(s.model.weights, "fp16");
    ck_assert_int_eq(s.n_regions, 3);
    ck_assert_str_eq(s.regions[1], "washington");
    ck_assert(s.rtt_s[0 * 3 + 1] == 92.2 / 1e3); /* ms -> s */
    ck_assert(s.rtt_s[2 * 3 + 1] == 223.4 / 1e3);
    ck_assert(s.rtt_s[2 * 3 + 2] == 1.0 / 1e3);
    ck_assert_int_eq(s.n_nodes, 8);
    ck_assert_str_eq(s.nodes[0].name, "a100-0");
    ck_assert_str_eq(s.nodes[1].name, "a100-1");
    ck_assert_str_eq(s.nodes[4].name, "rtx3090-fra");
    ck_assert_str_eq(s.nodes[7].name, "rtx3060-1");
    ck_assert_int_eq(s.nodes[0].region, 1);
    ck_assert_int_eq(s.nodes[7].region, 2);
    ck_assert(s.nodes[0].peak_flops == 312e12);
    ck_assert(s.nodes[0].mem_bw_bytes_per_s == 2039e9);
    ck_assert(s.nodes[0].memory_bytes == 80e9);
    ck_assert(s.nodes[0].compute_eff == 0.5 && s.nodes[0].bw_eff == 0.7);
    ck_assert(s.nodes[0].overhead_s == 0.05 / 1e3);
    ck_assert(s.nodes[0].uplink_bytes_per_s == 10000e6 / 8);
    ck_assert(s.nodes[6].downlink_bytes_per_s == 500e6 / 8);
    ck_assert_str_eq(s.placement, "uniform");
    ck_assert_int_eq(s.n_spans, 4);
    ck_assert_str_eq(s.routing, "fixed");
    ck_assert_str_eq(s.act_codec, "fp16");
    ck_assert_int_eq(s.workload.arrival, SCN_ARRIVAL_POISSON);
    ck_assert(s.workload.rate_per_s == 1.0);
    ck_assert_int_eq(s.workload.n_requests, 300);
    ck_assert_int_eq(s.workload.prompt_tokens.kind, SCN_DIST_LOGNORMAL);
    ck_assert(s.workload.prompt_tokens.a == 256 && s.workload.prompt_tokens.b == 0.8);
    ck_assert(s.workload.output_tokens.a == 96 && s.workload.output_tokens.b == 0.6);
    ck_assert_int_eq(s.workload.client_region, 0);
    ck_assert_int_eq(s.record, SCN_RECORD_REQUESTS);
    ck_assert_ptr_nonnull(s.canonical_json);
    ck_assert_ptr_nonnull(strstr(s.canonical_json, "\"seed\":42"));
    ck_assert_ptr_null(strchr(s.canonical_json, '\n'));
    scn_scenario_fini(&s);
    ck_assert_ptr_null(s.nodes);
    scn_scenario_fini(&s); /* twice is safe */
}
END_TEST

START_TEST(test_queueing_validation_scenarios_load)
{
    scn_scenario s;
    load_ok(SS_SRC("scenarios/validation/mm1.json"), NULL, 0, &s);
    ck_assert_int_eq(s.model.kind, SCN_MODEL_SYNTHETIC);
    ck_assert_int_eq(s.model.n_blocks, 1);
    ck_assert_int_eq(s.model.service_time_s.kind, SCN_DIST_EXPONENTIAL);
    ck_assert(s.model.service_time_s.a == 1.0);
    ck_assert(s.model.activation_bytes == 0);
    ck_assert_int_eq(s.n_nodes, 1);
    ck_assert_str_eq(s.nodes[0].name, "server");
    ck_assert_int_eq(s.n_regions, 1);
    ck_assert(s.rtt_s[0] == 0);
    ck_assert(s.workload.rate_per_s == 0.5);
    ck_assert_int_eq(s.workload.n_requests, 1000000);
    ck_assert_int_eq(s.workload.prompt_tokens.kind, SCN_DIST_CONST);
    ck_assert(s.workload.prompt_tokens.a == 1 && s.workload.output_tokens.a == 1);
    ck_assert_int_eq(s.record, SCN_RECORD_SUMMARY);
    scn_scenario_fini(&s);

    load_ok(SS_SRC("scenarios/validation/md1.json"), NULL, 0, &s);
    ck_assert_int_eq(s.model.service_time_s.kind, SCN_DIST_CONST);
    ck_assert(s.model.service_time_s.a == 1.0);
    ck_assert(s.workload.rate_per_s == 0.8);
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_defaults_fill_every_optional_field)
{
    char text[1024];
    snprintf(text, sizeof text, MINIMAL, "solo", 1, "");
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_str_eq(s.name, strrchr(path, '/') + 1); /* file name, no .json to strip */
    ck_assert_uint_eq(s.seed, 1);
    ck_assert(s.horizon_s == 1e9);
    ck_assert_int_eq(s.model.n_blocks, 1);
    ck_assert(s.model.activation_bytes == 0);
    ck_assert_int_eq(s.n_regions, 1);
    ck_assert_str_eq(s.regions[0], "local");
    ck_assert(s.rtt_s[0] == 0);
    ck_assert_str_eq(s.nodes[0].name, "solo");
    ck_assert(s.nodes[0].compute_eff == 0.5 && s.nodes[0].bw_eff == 0.7);
    ck_assert(s.nodes[0].overhead_s == 0);
    ck_assert(s.nodes[0].uplink_bytes_per_s == 1000e6 / 8);
    ck_assert_str_eq(s.placement, "uniform");
    ck_assert_int_eq(s.n_spans, 0);
    ck_assert_str_eq(s.routing, "fixed");
    ck_assert_str_eq(s.act_codec, "fp16");
    ck_assert_int_eq(s.workload.client_region, 0);
    ck_assert_int_eq(s.record, SCN_RECORD_REQUESTS);
    scn_scenario_fini(&s);
    unlink(path);
}
END_TEST

START_TEST(test_names_of_63_bytes_are_accepted_with_and_without_suffix)
{
    char name[64], text[1024];
    memset(name, 'n', 63);
    name[63] = '\0';
    snprintf(text, sizeof text, MINIMAL, name, 1, "");
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_str_eq(s.nodes[0].name, name);
    scn_scenario_fini(&s);
    unlink(path);
    /* 61 bytes + "-9" = 63: the longest name a group of 10 may have. */
    name[61] = '\0';
    snprintf(text, sizeof text, MINIMAL, name, 10, "");
    path = tmp_scenario(text);
    load_ok(path, NULL, 0, &s);
    ck_assert_int_eq(s.n_nodes, 10);
    ck_assert_uint_eq(strlen(s.nodes[9].name), 63);
    scn_scenario_fini(&s);
    unlink(path);
}
END_TEST

START_TEST(test_seed_zero_and_above_2p32_are_distinct_accepted_seeds)
{
    /* GSL aliases 0 with 4357 and truncates to 32 bits; scenarios keep the
     * full value and the simulator mixes it (SplitMix64) before seeding. */
    scn_scenario s;
    scn_override o[] = {{"seed", "0"}};
    load_ok(SS_SRC("scenarios/default.json"), o, 1, &s);
    ck_assert_uint_eq(s.seed, 0);
    scn_scenario_fini(&s);
    o[0].value = "9007199254740991";
    load_ok(SS_SRC("scenarios/default.json"), o, 1, &s);
    ck_assert_uint_eq(s.seed, 9007199254740991ULL);
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_overrides_change_the_tree_before_validation)
{
    scn_scenario s;
    scn_override o[] = {
        {"workload.n_requests", "10"},
        {"nodes[0].count", "3"},
        {"name", "renamed"},                           /* not JSON: taken as a string */
        {"routing.policy", "\"petals\""},              /* a JSON string */
        {"workload.arrivals.poisson.rate_per_s", "2.5"},
        {"network.rtt_ms[0]", "[0, 1, 2]"},            /* replace an array element */
        {"record", "{\"level\": \"summary\"}"},
    };
    load_ok(SS_SRC("scenarios/default.json"), o, sizeof o / sizeof o[0], &s);
    ck_assert_int_eq(s.workload.n_requests, 10);
    ck_assert_int_eq(s.n_nodes, 9);
    ck_assert_str_eq(s.nodes[2].name, "a100-2");
    ck_assert_str_eq(s.name, "renamed");
    ck_assert_str_eq(s.routing, "petals");
    ck_assert(s.workload.rate_per_s == 2.5);
    ck_assert(s.rtt_s[1] == 0.001 && s.rtt_s[2] == 0.002);
    ck_assert_int_eq(s.record, SCN_RECORD_SUMMARY);
    /* The canonical JSON is the scenario after overrides. */
    ck_assert_ptr_nonnull(strstr(s.canonical_json, "\"n_requests\":10"));
    ck_assert_ptr_nonnull(strstr(s.canonical_json, "\"name\":\"renamed\""));
    ck_assert_ptr_nonnull(strstr(s.canonical_json, "\"rtt_ms\":[[0,1,2],"));
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_canonical_json_differs_when_an_override_changes_a_value)
{
    scn_scenario a, b;
    scn_override o[] = {{"seed", "43"}};
    load_ok(SS_SRC("scenarios/default.json"), NULL, 0, &a);
    load_ok(SS_SRC("scenarios/default.json"), o, 1, &b);
    ck_assert_str_ne(a.canonical_json, b.canonical_json);
    o[0].value = "42";
    scn_scenario_fini(&b);
    load_ok(SS_SRC("scenarios/default.json"), o, 1, &b);
    ck_assert_str_eq(a.canonical_json, b.canonical_json);
    scn_scenario_fini(&a);
    scn_scenario_fini(&b);
}
END_TEST

/* Expect scn_load with one override to fail with exactly `want` after the
 * file name. */
static void override_fails(const char *p, const char *v, ss_status code, const char *want)
{
    scn_scenario s;
    char err[1024], full[1024];
    scn_override o = {p, v};
    ss_status rc = scn_load(SS_SRC("scenarios/default.json"), &o, 1, &s, err, sizeof err);
    ck_assert_msg(rc == code, "%s=%s gave %s: %s", p, v, ss_status_name(rc), err);
    snprintf(full, sizeof full, "%s: %s", SS_SRC("scenarios/default.json"), want);
    ck_assert_str_eq(err, full);
    ck_assert(all_zero(&s, sizeof s));
}

START_TEST(test_bad_overrides_are_rejected_with_the_path)
{
    override_fails("workload.nope.x", "1", SS_ESCHEMA,
                   "workload.nope.x: cannot apply --set: workload.nope does not exist");
    override_fails("nodes[9].count", "1", SS_ESCHEMA,
                   "nodes[9].count: cannot apply --set: nodes[9] does not exist (nodes has 5 "
                   "elements)");
    override_fails("nodes[5]", "{}", SS_ESCHEMA,
                   "nodes[5]: cannot apply --set: index 5 is out of range (nodes has 5 elements)");
    override_fails("seed.x", "1", SS_ESCHEMA,
                   "seed.x: cannot apply --set: seed is a number, not an object");
    override_fails("model[0]", "1", SS_ESCHEMA,
                   "model[0]: cannot apply --set: model is an object, not an array");
    override_fails("a..b", "1", SS_ESCHEMA,
                   "--set a..b: malformed path (expected KEY, KEY.KEY or KEY[INDEX], e.g. "
                   "nodes[0].count)");
    override_fails("nodes[x]", "1", SS_ESCHEMA,
                   "--set nodes[x]: malformed path (expected KEY, KEY.KEY or KEY[INDEX], e.g. "
                   "nodes[0].count)");
    override_fails("", "1", SS_ESCHEMA,
                   "--set : malformed path (expected KEY, KEY.KEY or KEY[INDEX], e.g. "
                   "nodes[0].count)");
    /* Looks like JSON but is not: an error, not a silent string. */
    override_fails("record", "{\"level\": ", SS_EPARSE,
                   "record: --set value is not valid JSON: value: line 1, column 11 (byte 10): "
                   "expected a JSON value, got end of input");
    /* New keys are allowed by the override and then caught by the schema. */
    override_fails("sede", "1", SS_ESCHEMA, "sede: unknown key \"sede\" (did you mean \"seed\"?)");
    /* Values go through the same schema as the file. */
    override_fails("workload.n_requests", "0", SS_ERANGE,
                   "workload.n_requests: expected an integer in [1, 100000000], got 0");
    override_fails("seed", "1e999", SS_ESCHEMA,
                   "seed: expected an integer in [0, 9007199254740991], got \"1e999\"");
    override_fails("nodes[0].device.memory_gb", "16GB", SS_ESCHEMA,
                   "nodes[0].device.memory_gb: expected a positive number, got \"16GB\"");
}
END_TEST

START_TEST(test_model_paths_resolve_relative_to_the_scenario_directory)
{
    char text[1024];
    snprintf(text, sizeof text, MINIMAL, "n", 1, "");
    const char *path = tmp_scenario(text);
    scn_scenario s;
    scn_override o[] = {{"model", "{\"llama2c\": \"../shared/assets/stories260K/stories260K.bin\","
                                  " \"tokenizer\": \"tok512.bin\"}"}};
    load_ok(path, o, 1, &s);
    ck_assert_int_eq(s.model.kind, SCN_MODEL_LLAMA2C);
    ck_assert_str_eq(s.model.checkpoint_path, "/tmp/../shared/assets/stories260K/stories260K.bin");
    ck_assert_str_eq(s.model.tokenizer_path, "/tmp/tok512.bin");
    ck_assert_str_eq(s.model.weights, "fp32");
    scn_scenario_fini(&s);
    unlink(path);
}
END_TEST

START_TEST(test_faults_resolve_node_names_and_sort_by_time)
{
    char text[2048];
    snprintf(text, sizeof text, MINIMAL, "g", 3,
             ",\n \"faults\": [{\"node\": \"g-2\", \"down_at_s\": 50, \"up_at_s\": 60},"
             " {\"node\": \"g-0\", \"down_at_s\": 50},"
             " {\"node\": \"g-2\", \"down_at_s\": 1.5, \"up_at_s\": 50}]");
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_int_eq(s.n_faults, 3);
    /* By down_at_s, then node index; back-to-back outages may touch. */
    ck_assert_int_eq(s.faults[0].node, 2);
    ck_assert(s.faults[0].down_at_s == 1.5 && s.faults[0].up_at_s == 50);
    ck_assert_int_eq(s.faults[1].node, 0);
    ck_assert(s.faults[1].up_at_s < 0); /* never back */
    ck_assert_int_eq(s.faults[2].node, 2);
    ck_assert(s.faults[2].down_at_s == 50 && s.faults[2].up_at_s == 60);
    scn_scenario_fini(&s);
    ck_assert_ptr_null(s.faults);
    unlink(path);
    load_ok(SS_SRC("scenarios/default.json"), NULL, 0, &s);
    ck_assert_int_eq(s.n_faults, 0);
    ck_assert_ptr_null(s.faults);
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_missing_file_and_directory_are_file_errors)
{
    scn_scenario s;
    char err[512];
    ck_assert_int_eq(scn_load("/nonexistent/s.json", NULL, 0, &s, err, sizeof err), SS_ENOENT);
    ck_assert_str_eq(err, "/nonexistent/s.json: cannot open: No such file or directory");
    ck_assert_int_eq(scn_load(SS_SRC("scenarios"), NULL, 0, &s, err, sizeof err), SS_EIO);
    ck_assert(all_zero(&s, sizeof s));
}
END_TEST

START_TEST(test_every_truncation_of_default_is_rejected_cleanly)
{
    /* J03 generalised: every cut of a real scenario before its closing
     * brace must fail with a syntax error, never read past the cut. */
    char *buf;
    size_t len;
    char err[512];
    ck_assert_int_eq(ss_json_read_file(SS_SRC("scenarios/default.json"), &buf, &len, err,
                                       sizeof err),
                     SS_OK);
    size_t close = len;
    while (close > 0 && buf[close - 1] != '}')
        close--;
    for (size_t n = 0; n + 1 < close; n++) {
        /* An exact-size copy so ASan catches any read past the cut. */
        char *cut = malloc(n ? n : 1);
        memcpy(cut, buf, n);
        cJSON *root = NULL;
        ss_status rc = ss_json_parse("cut.json", cut, n, &root, err, sizeof err);
        ck_assert_msg(rc == SS_EPARSE, "prefix of %zu bytes: %s", n, ss_status_name(rc));
        ck_assert_ptr_null(root);
        free(cut);
    }
    ss_free(buf);
}
END_TEST

START_TEST(test_a_million_nodes_load_and_one_more_is_refused)
{
    /* J25: the cap is reached in linear-logarithmic time, and one node more
     * is an error, not a slow path. */
    /* A million is no longer the cap (SCN_MAX_NODES is 10^8, memory is
     * the real bound); loading it stays quick, and past the cap is refused. */
    char text[1024];
    snprintf(text, sizeof text, MINIMAL, "n", 1000000, "");
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_int_eq(s.n_nodes, 1000000);
    ck_assert_str_eq(s.nodes[1000000 - 1].name, "n-999999");
    scn_scenario_fini(&s);
    char err[512], want[512];
    scn_override o = {"nodes[0].count", "100000001"};
    ck_assert_int_eq(scn_load(path, &o, 1, &s, err, sizeof err), SS_ERANGE);
    snprintf(want, sizeof want, "%s: nodes[0].count: expected an integer in [1, 100000000], got "
                                "100000001", path);
    ck_assert_str_eq(err, want);
    unlink(path);
}
END_TEST

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_json(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

START_TEST(test_every_bad_scenario_fails_with_its_expected_line)
{
    /* File names in the messages are as given: relative to the repository. */
    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(SS_SOURCE_DIR), 0);
    struct dirent **list;
    int n = scandir("tests/bad/scenarios", &list, is_json, by_name);
    ck_assert_int_ge(n, 25);
    int failures = 0;
    for (int i = 0; i < n; i++) {
        char path[512], exp_path[512], want[2048] = "", err[2048] = "";
        snprintf(path, sizeof path, "tests/bad/scenarios/%s", list[i]->d_name);
        snprintf(exp_path, sizeof exp_path, "%.*s.expected", (int)(strlen(path) - 5), path);
        FILE *f = fopen(exp_path, "r");
        ck_assert_msg(f != NULL, "missing %s", exp_path);
        ck_assert_ptr_nonnull(fgets(want, sizeof want, f));
        fclose(f);
        want[strcspn(want, "\n")] = '\0';
        scn_scenario s;
        ss_status rc = scn_load(path, NULL, 0, &s, err, sizeof err);
        if (rc == SS_OK || strcmp(err, want) != 0 || !all_zero(&s, sizeof s)) {
            fprintf(stderr, "%s: %s\n  want: %s\n  got:  %s\n", path, ss_status_name(rc), want,
                    err);
            failures++;
        }
        if (rc == SS_OK)
            scn_scenario_fini(&s);
        free(list[i]);
    }
    free(list);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(failures, 0);
}
END_TEST

START_TEST(test_load_fails_cleanly_at_every_allocation)
{
    int done = 0;
    long n;
    scn_override o[] = {{"nodes[0].count", "3"}, {"name", "x"}};
    for (n = 0; n < 100000 && !done; n++) {
        scn_scenario s;
        char err[512] = "";
        ss_alloc_fail_after(n);
        ss_status rc = scn_load(SS_SRC("scenarios/default.json"), o, 2, &s, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (rc == SS_OK) {
            done = 1;
            ck_assert_int_eq(s.n_nodes, 9);
            scn_scenario_fini(&s);
        } else {
            ck_assert_msg(rc == SS_ENOMEM, "n=%ld: %s: %s", n, ss_status_name(rc), err);
            ck_assert_msg(strstr(err, "out of memory") != NULL, "n=%ld: %s", n, err);
            ck_assert(all_zero(&s, sizeof s));
        }
    }
    ck_assert(done);
    ck_assert_int_gt(n, 20); /* the loop really injected failures */
}
END_TEST

/* ---- node populations, measured RTTs, workloads, events (issue 5) ------- */

#define POP_WORKLOAD                                                                               \
    " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 5,"          \
    " \"prompt_tokens\": 4, \"output_tokens\": 4}"

/* Presets come from the source tree, whatever the caller's environment. */
static void use_source_presets(void) { ck_assert_int_eq(setenv("SHARDSIM_HOME", SS_SOURCE_DIR, 1), 0); }

static void preset(const char *name, scn_hardware *hw)
{
    char err[512];
    ck_assert_msg(scn_hardware_load(SS_SRC("scenarios/hardware"), name, hw, err, sizeof err) ==
                      SS_OK,
                  "%s", err);
}

START_TEST(test_a_population_with_device_region_mixes_and_lognormal_uplink_keeps_group_data)
{
    use_source_presets();
    const char *text =
        "{\"version\": 1, \"model\": {\"preset\": \"llama-2-70b\", \"weights\": \"nf4\"},\n"
        " \"network\": {\"regions\": [\"eu\", \"us\", \"asia\"],"
        " \"rtt_ms\": [[1, 80, 200], [80, 1, 150], [200, 150, 1]],"
        " \"last_mile_ms\": 8, \"jitter_ms\": {\"exponential\": {\"mean\": 2}}},\n"
        " \"nodes\": [{\"name\": \"vol\", \"count\": 10, \"region\": {\"us\": 0.6, \"eu\": 0.4},"
        " \"device\": {\"rtx-3090\": 3, \"a100-80gb\": 2, \"rtx-3060-12gb\": 5},"
        " \"uplink_mbps\": {\"lognormal\": {\"median\": 50, \"sigma\": 0.8}},"
        " \"churn\": \"overnet03\", \"churn_family\": \"lognormal\", \"relay\": true},\n"
        "  {\"name\": \"dc\", \"region\": \"asia\", \"device\": \"a100-80gb\", \"last_mile_ms\": 0},\n"
        "  {\"name\": \"mix2\", \"region\": \"eu\", \"device\": {\"rtx-4090\": 1, \"rtx-3090\": 1},"
        " \"downlink_mbps\": 900,"
        " \"churn\": {\"up_s\": {\"weibull\": {\"shape\": 0.5, \"scale\": 3600}}, \"down_s\": 600}}],\n"
        POP_WORKLOAD "}\n";
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_int_eq(s.n_groups, 3);
    ck_assert_int_eq(s.n_nodes, 12);
    /* Presets of mixes: once each, sorted by name; "dc"'s single preset is
     * not a mix entry but a100-80gb is one through "vol". */
    ck_assert_int_eq(s.n_devices, 4);
    ck_assert_str_eq(s.devices[0].preset, "a100-80gb");
    ck_assert_str_eq(s.devices[1].preset, "rtx-3060-12gb");
    ck_assert_str_eq(s.devices[2].preset, "rtx-3090");
    ck_assert_str_eq(s.devices[3].preset, "rtx-4090");
    scn_hardware hw;
    preset("rtx-3090", &hw);
    /* the preset's numbers, resolved for nf4: the same as a preset name gives */
    ck_assert(s.devices[2].peak_flops == hw.dev.peak_flops &&
              s.devices[2].mem_bw_bytes_per_s == hw.dev.mem_bw_bytes_per_s);
    ck_assert(s.devices[2].compute_eff == hw.dev.compute_eff &&
              s.devices[2].bw_eff == hw.dev.bw_eff);
    ck_assert(s.devices[2].format_compute_eff == hw.dev.format[SCN_HW_NF4].compute &&
              s.devices[2].format_bw_eff == hw.dev.format[SCN_HW_NF4].bandwidth);
    ck_assert(s.devices[2].block_overhead_s == hw.dev.block_overhead_s);
    ck_assert(s.devices[2].memory_bytes == hw.dev.memory_bytes);
    ck_assert(s.devices[2].uplink_bytes_per_s == hw.uplink_bytes_per_s);
    const scn_group *g = &s.groups[0];
    ck_assert_int_eq(g->n_devices, 3); /* member order, weights normalised */
    ck_assert_int_eq(g->device[0], 2);
    ck_assert_int_eq(g->device[1], 0);
    ck_assert_int_eq(g->device[2], 1);
    ck_assert_double_eq_tol(g->device_w[0], 0.3, 1e-15);
    ck_assert_double_eq_tol(g->device_w[1], 0.2, 1e-15);
    ck_assert_double_eq_tol(g->device_w[2], 0.5, 1e-15);
    ck_assert_int_eq(g->n_regions, 2);
    ck_assert_int_eq(g->region[0], 1);
    ck_assert_int_eq(g->region[1], 0);
    ck_assert(g->region_w[0] == 0.6 && g->region_w[1] == 0.4);
    ck_assert_int_eq(g->uplink_mbps.kind, SCN_DIST_LOGNORMAL);
    ck_assert(g->uplink_mbps.a == 50 && g->uplink_mbps.b == 0.8);
    ck_assert_int_eq(g->uplink_from_device, 0);
    ck_assert_int_eq(g->downlink_from_device, 1); /* no downlink given: the drawn device's */
    ck_assert_int_eq(g->churn, SCN_CHURN_PRESET);
    ck_assert_str_eq(g->churn_preset, "overnet03");
    ck_assert_str_eq(g->churn_family, "lognormal");
    ck_assert(g->last_mile_ms == 8 && g->relay == 1);
    for (int i = 0; i < 10; i++) {
        const scn_node *n = &s.nodes[i];
        ck_assert_int_eq(n->group, 0);
        ck_assert_int_eq(n->region, 1); /* first of the mix until drawn */
        ck_assert(n->peak_flops == 0 && n->memory_bytes == 0 && n->compute_eff == 0);
        ck_assert_double_eq_tol(n->uplink_bytes_per_s, 50 * exp(0.32) * 1e6 / 8, 1e-6);
    }
    scn_hardware h3060, ha100;
    preset("rtx-3060-12gb", &h3060);
    preset("a100-80gb", &ha100);
    ck_assert_double_eq_tol(s.nodes[0].downlink_bytes_per_s,
                            0.3 * hw.downlink_bytes_per_s + 0.2 * ha100.downlink_bytes_per_s +
                                0.5 * h3060.downlink_bytes_per_s,
                            1e-3);
    ck_assert_int_eq(s.nodes[10].group, 1);
    ck_assert_int_eq(s.groups[1].n_devices, 0);
    ck_assert(s.groups[1].last_mile_ms == 0 && s.groups[1].relay == 0);
    ck_assert_int_eq(s.groups[1].churn, SCN_CHURN_NONE);
    g = &s.groups[2];
    ck_assert_int_eq(g->device[0], 3);
    ck_assert_int_eq(g->device[1], 2);
    ck_assert(g->device_w[0] == 0.5 && g->device_w[1] == 0.5);
    ck_assert_int_eq(g->churn, SCN_CHURN_DISTS);
    ck_assert_str_eq(g->churn_family, "weibull");
    ck_assert_int_eq(g->up_s.kind, SCN_DIST_WEIBULL);
    ck_assert(g->up_s.a == 0.5 && g->up_s.b == 3600);
    ck_assert_int_eq(g->down_s.kind, SCN_DIST_CONST);
    ck_assert(g->down_s.a == 600);
    ck_assert_int_eq(g->downlink_mbps.kind, SCN_DIST_CONST);
    ck_assert(g->downlink_mbps.a == 900 && g->downlink_from_device == 0);
    ck_assert(s.nodes[11].downlink_bytes_per_s == 900e6 / 8);
    ck_assert(s.last_mile_ms == 8);
    ck_assert_int_eq(s.jitter_ms.kind, SCN_DIST_EXPONENTIAL);
    ck_assert(s.jitter_ms.a == 2);
    ck_assert_str_eq(s.rtt_source, "");
    scn_scenario_fini(&s);
    ck_assert_ptr_null(s.groups);
    ck_assert_ptr_null(s.devices);
    unlink(path);
}
END_TEST

START_TEST(test_a_preset_device_fills_the_node_from_the_preset_file)
{
    use_source_presets();
    const char *text =
        "{\"version\": 1, \"model\": {\"preset\": \"llama-2-7b\", \"weights\": \"fp32\"},\n"
        " \"nodes\": [{\"name\": \"g\", \"device\": \"rtx-3090\"},"
        " {\"name\": \"h\", \"device\": \"gtx-1080-ti\", \"uplink_mbps\": 20}],\n" POP_WORKLOAD "}\n";
    const char *path = tmp_scenario(text);
    scn_hardware hw, old;
    preset("rtx-3090", &hw);
    preset("gtx-1080-ti", &old);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    /* the preset's numbers as an inline device would carry them; fp32
     * weights: the 16-bit figures (no format factor: the model's 1) */
    ck_assert(s.nodes[0].peak_flops == hw.peak_fp16_flops &&
              s.nodes[0].mem_bw_bytes_per_s == hw.dev.mem_bw_bytes_per_s);
    ck_assert(s.nodes[0].memory_bytes == hw.dev.memory_bytes);
    ck_assert(s.nodes[0].compute_eff == hw.dev.compute_eff && s.nodes[0].bw_eff == hw.dev.bw_eff);
    ck_assert(s.nodes[0].format_compute_eff == 0 && s.nodes[0].format_bw_eff == 0);
    ck_assert(s.nodes[0].overhead_s == 0 && s.nodes[0].block_overhead_s == 1e-4);
    ck_assert(s.nodes[0].uplink_bytes_per_s == hw.uplink_bytes_per_s);
    ck_assert(s.nodes[0].downlink_bytes_per_s == hw.downlink_bytes_per_s);
    ck_assert_int_eq(s.groups[0].uplink_mbps.kind, SCN_DIST_CONST);
    ck_assert(s.groups[0].uplink_mbps.a == 40); /* the preset's residential uplink */
    ck_assert_int_eq(s.groups[0].uplink_from_device, 0);
    ck_assert_int_eq(s.n_devices, 0);
    /* FP16 at 1/64 rate: kernels run FP32 on the 1080 Ti. */
    ck_assert(s.nodes[1].peak_flops == old.peak_fp32_flops);
    ck_assert(s.nodes[1].uplink_bytes_per_s == 20e6 / 8);
    ck_assert(s.nodes[1].downlink_bytes_per_s == old.downlink_bytes_per_s);
    scn_scenario_fini(&s);
    scn_override o[] = {{"model.weights", "int8"}};
    load_ok(path, o, 1, &s);
    ck_assert(s.nodes[0].peak_flops == hw.peak_fp16_flops);
    ck_assert(s.nodes[0].format_compute_eff == hw.dev.format[SCN_HW_INT8].compute &&
              s.nodes[0].format_bw_eff == hw.dev.format[SCN_HW_INT8].bandwidth);
    scn_scenario_fini(&s);
    unlink(path);
}
END_TEST

START_TEST(test_a_regional_outage_takes_down_every_node_of_the_region)
{
    const char *text =
        "{\"version\": 1, \"model\": {\"synthetic\": {\"service_time_s\": 1}},\n"
        " \"network\": {\"regions\": [\"eu\", \"us\"], \"rtt_ms\": [[1, 80], [80, 1]]},\n"
        " \"nodes\": [{\"name\": \"a\", \"count\": 2, \"region\": \"eu\", \"device\": "
        "{\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}},\n"
        "  {\"name\": \"b\", \"count\": 3, \"region\": \"us\", \"device\": "
        "{\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}},\n"
        "  {\"name\": \"c\", \"region\": \"eu\", \"device\": "
        "{\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n" POP_WORKLOAD ",\n"
        " \"faults\": [{\"region\": \"eu\", \"down_at_s\": 5, \"up_at_s\": 10},"
        " {\"node\": \"b-1\", \"down_at_s\": 1}, {\"node\": \"c\", \"down_at_s\": 10}]}\n";
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_int_eq(s.n_faults, 5);
    int want_node[] = {3, 0, 1, 5, 5};
    double want_down[] = {1, 5, 5, 5, 10}, want_up[] = {-1, 10, 10, 10, -1};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(s.faults[i].node, want_node[i]);
        ck_assert(s.faults[i].down_at_s == want_down[i] && s.faults[i].up_at_s == want_up[i]);
    }
    scn_scenario_fini(&s);
    unlink(path);
}
END_TEST

START_TEST(test_measured_rtt_collects_cities_in_order_of_first_use)
{
    const char *text =
        "{\"version\": 1, \"model\": {\"synthetic\": {\"service_time_s\": 1}},\n"
        " \"network\": {\"rtt\": \"wondernetwork-2018\"},\n"
        " \"nodes\": [{\"name\": \"a\", \"region\": \"Frankfurt\", \"device\": "
        "{\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}},\n"
        "  {\"name\": \"b\", \"count\": 2, \"region\": {\"Singapore\": 1, \"Frankfurt\": 3},"
        " \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n"
        " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 5,"
        " \"prompt_tokens\": 4, \"output_tokens\": 4, \"client_region\": \"New York\"},\n"
        " \"faults\": [{\"region\": \"Amsterdam\", \"down_at_s\": 1}]}\n";
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_str_eq(s.rtt_source, "wondernetwork-2018");
    ck_assert_ptr_null(s.rtt_s);
    ck_assert_int_eq(s.n_regions, 4);
    ck_assert_str_eq(s.regions[0], "Frankfurt");
    ck_assert_str_eq(s.regions[1], "Singapore");
    ck_assert_str_eq(s.regions[2], "New York");
    ck_assert_str_eq(s.regions[3], "Amsterdam");
    ck_assert_int_eq(s.nodes[0].region, 0);
    ck_assert_int_eq(s.groups[1].region[0], 1);
    ck_assert_int_eq(s.groups[1].region[1], 0);
    ck_assert(s.groups[1].region_w[0] == 0.25 && s.groups[1].region_w[1] == 0.75);
    ck_assert_int_eq(s.workload.client_region, 2);
    ck_assert_int_eq(s.n_faults, 0); /* no node in Amsterdam */
    ck_assert(s.last_mile_ms == 0 && s.jitter_ms.kind == SCN_DIST_CONST && s.jitter_ms.a == 0);
    scn_scenario_fini(&s);
    /* Every group needs a city: there is no first region to default to. */
    scn_override o[] = {{"nodes[0]", "{\"name\": \"a\", \"device\": \"t4\"}"}};
    char err[512];
    ck_assert_int_eq(scn_load(path, o, 1, &s, err, sizeof err), SS_ESCHEMA);
    ck_assert_msg(strstr(err, "nodes[0].region: missing required key") != NULL, "%s", err);
    unlink(path);
}
END_TEST

START_TEST(test_trace_workloads_take_a_preset_or_a_file_relative_to_the_scenario)
{
    char text[2048];
    snprintf(text, sizeof text, MINIMAL, "n", 1, "");
    const char *path = tmp_scenario(text);
    scn_scenario s;
    scn_override o[] = {{"workload", "{\"arrivals\": {\"trace\": {\"preset\": \"azure-conv-2023\"}}}"}};
    load_ok(path, o, 1, &s);
    ck_assert_int_eq(s.workload.arrival, SCN_ARRIVAL_TRACE);
    ck_assert_str_eq(s.workload.trace_preset, "azure-conv-2023");
    ck_assert_str_eq(s.workload.trace_path, "");
    ck_assert(s.workload.time_scale == 1);
    ck_assert_int_eq(s.workload.n_requests, 100000000); /* the whole trace */
    scn_scenario_fini(&s);
    scn_override f[] = {{"workload", "{\"arrivals\": {\"trace\": {\"file\": \"traces/t.csv\","
                                     " \"time_scale\": 0.25}}, \"n_requests\": 2000}"}};
    load_ok(path, f, 1, &s);
    ck_assert_str_eq(s.workload.trace_path, "/tmp/traces/t.csv");
    ck_assert_str_eq(s.workload.trace_preset, "");
    ck_assert(s.workload.time_scale == 0.25);
    ck_assert_int_eq(s.workload.n_requests, 2000);
    scn_scenario_fini(&s);
    scn_override g[] = {{"workload.arrivals", "{\"gamma\": {\"rate_per_s\": 3, \"cv\": 4}}"}};
    load_ok(path, g, 1, &s);
    ck_assert_int_eq(s.workload.arrival, SCN_ARRIVAL_GAMMA);
    ck_assert(s.workload.rate_per_s == 3 && s.workload.cv == 4);
    scn_scenario_fini(&s);
    scn_override c[] = {{"workload.arrivals",
                         "{\"closed\": {\"users\": 7, \"think_time_s\": {\"exponential\": "
                         "{\"mean\": 2}}}}"}};
    load_ok(path, c, 1, &s);
    ck_assert_int_eq(s.workload.arrival, SCN_ARRIVAL_CLOSED);
    ck_assert_int_eq(s.workload.users, 7);
    ck_assert_int_eq(s.workload.think_time_s.kind, SCN_DIST_EXPONENTIAL);
    ck_assert(s.workload.think_time_s.a == 2);
    ck_assert_int_eq(s.workload.n_requests, 1);
    scn_scenario_fini(&s);
    unlink(path);
}
END_TEST

START_TEST(test_batching_and_stragglers_default_off_and_load_sorted)
{
    char text[2048];
    snprintf(text, sizeof text, MINIMAL, "g", 3, "");
    const char *path = tmp_scenario(text);
    scn_scenario s;
    load_ok(path, NULL, 0, &s);
    ck_assert_int_eq(s.max_batch_tokens, 0);
    ck_assert_int_eq(s.prefill_first, 0);
    ck_assert_int_eq(s.n_stragglers, 0);
    ck_assert_ptr_null(s.stragglers);
    ck_assert_int_eq(s.groups[0].churn, SCN_CHURN_NONE);
    ck_assert(s.groups[0].uplink_mbps.kind == SCN_DIST_CONST && s.groups[0].uplink_mbps.a == 1000);
    ck_assert_int_eq(s.nodes[2].group, 0);
    scn_scenario_fini(&s);
    scn_override o[] = {
        {"batching", "{\"max_tokens\": 4096, \"priority\": \"prefill\"}"},
        {"stragglers", "[{\"node\": \"g-2\", \"from_s\": 5, \"to_s\": 9, \"slowdown\": 3},"
                       " {\"node\": \"g-0\", \"from_s\": 5, \"to_s\": 6, \"slowdown\": 1},"
                       " {\"node\": \"g-2\", \"from_s\": 1, \"to_s\": 5, \"slowdown\": 2.5}]"}};
    load_ok(path, o, 2, &s);
    ck_assert_int_eq(s.max_batch_tokens, 4096);
    ck_assert_int_eq(s.prefill_first, 1);
    ck_assert_int_eq(s.n_stragglers, 3);
    ck_assert_int_eq(s.stragglers[0].node, 2);
    ck_assert(s.stragglers[0].from_s == 1 && s.stragglers[0].to_s == 5);
    ck_assert(s.stragglers[0].slowdown == 2.5);
    ck_assert_int_eq(s.stragglers[1].node, 0);
    ck_assert_int_eq(s.stragglers[2].node, 2);
    ck_assert(s.stragglers[2].slowdown == 3);
    scn_scenario_fini(&s);
    ck_assert_ptr_null(s.stragglers);
    unlink(path);
}
END_TEST

START_TEST(test_volunteer_swarm_is_a_large_mixed_churning_population)
{
    use_source_presets();
    scn_scenario s;
    load_ok(SS_SRC("scenarios/volunteer-swarm.json"), NULL, 0, &s);
    ck_assert_int_ge(s.n_nodes, 200);
    ck_assert_int_ge(s.n_regions, 4);
    ck_assert_str_eq(s.rtt_source, "wondernetwork-2018");
    ck_assert_str_eq(s.model.preset, "llama-2-70b");
    ck_assert_str_eq(s.model.weights, "nf4");
    ck_assert_int_eq(s.workload.arrival, SCN_ARRIVAL_TRACE);
    ck_assert_str_eq(s.workload.trace_preset, "azure-conv-2023");
    ck_assert_int_gt(s.max_batch_tokens, 0);
    ck_assert(s.last_mile_ms == 8);
    int churning = 0, mixed = 0;
    for (int g = 0; g < s.n_groups; g++) {
        churning += s.groups[g].churn != SCN_CHURN_NONE;
        mixed += s.groups[g].n_devices > 1;
    }
    ck_assert_int_gt(churning, 0);
    ck_assert_int_gt(mixed, 0);
    ck_assert_int_ge(s.n_devices, 5);
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_population_load_fails_cleanly_at_every_allocation)
{
    use_source_presets();
    int done = 0;
    long n;
    for (n = 0; n < 100000 && !done; n++) {
        scn_scenario s;
        char err[512] = "";
        ss_alloc_fail_after(n);
        ss_status rc = scn_load(SS_SRC("scenarios/volunteer-swarm.json"), NULL, 0, &s, err,
                                sizeof err);
        ss_alloc_fail_after(-1);
        if (rc == SS_OK) {
            done = 1;
            scn_scenario_fini(&s);
        } else {
            ck_assert_msg(rc == SS_ENOMEM, "n=%ld: %s: %s", n, ss_status_name(rc), err);
            ck_assert_msg(strstr(err, "out of memory") != NULL, "n=%ld: %s", n, err);
            ck_assert(all_zero(&s, sizeof s));
        }
    }
    ck_assert(done);
    ck_assert_int_gt(n, 50);
}
END_TEST

Suite *scn_suite(void)
{
    Suite *s = suite_create("scn");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_default_scenario_has_the_documented_values);
    tcase_add_test(tc, test_queueing_validation_scenarios_load);
    tcase_add_test(tc, test_defaults_fill_every_optional_field);
    tcase_add_test(tc, test_names_of_63_bytes_are_accepted_with_and_without_suffix);
    tcase_add_test(tc, test_seed_zero_and_above_2p32_are_distinct_accepted_seeds);
    tcase_add_test(tc, test_model_paths_resolve_relative_to_the_scenario_directory);
    tcase_add_test(tc, test_missing_file_and_directory_are_file_errors);
    tcase_add_test(tc, test_faults_resolve_node_names_and_sort_by_time);
    suite_add_tcase(s, tc);
    TCase *to = tcase_create("overrides");
    tcase_add_test(to, test_overrides_change_the_tree_before_validation);
    tcase_add_test(to, test_canonical_json_differs_when_an_override_changes_a_value);
    tcase_add_test(to, test_bad_overrides_are_rejected_with_the_path);
    suite_add_tcase(s, to);
    TCase *tb = tcase_create("bad");
    tcase_set_timeout(tb, 120);
    tcase_add_test(tb, test_every_bad_scenario_fails_with_its_expected_line);
    tcase_add_test(tb, test_load_fails_cleanly_at_every_allocation);
    tcase_add_test(tb, test_every_truncation_of_default_is_rejected_cleanly);
    tcase_add_test(tb, test_a_million_nodes_load_and_one_more_is_refused);
    suite_add_tcase(s, tb);
    TCase *tp = tcase_create("population");
    tcase_set_timeout(tp, 120);
    tcase_add_test(tp, test_a_population_with_device_region_mixes_and_lognormal_uplink_keeps_group_data);
    tcase_add_test(tp, test_a_preset_device_fills_the_node_from_the_preset_file);
    tcase_add_test(tp, test_a_regional_outage_takes_down_every_node_of_the_region);
    tcase_add_test(tp, test_measured_rtt_collects_cities_in_order_of_first_use);
    tcase_add_test(tp, test_trace_workloads_take_a_preset_or_a_file_relative_to_the_scenario);
    tcase_add_test(tp, test_batching_and_stragglers_default_off_and_load_sorted);
    tcase_add_test(tp, test_volunteer_swarm_is_a_large_mixed_churning_population);
    tcase_add_test(tp, test_population_load_fails_cleanly_at_every_allocation);
    suite_add_tcase(s, tp);
    return s;
}

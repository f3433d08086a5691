/* The C ABI end to end: run_mock URL DIR runs one benchmark against the server at URL to
 * completion, starts a second long one and cancels it midway, and checks both runs'
 * accounting (completed + failed + cancelled + not_sent == scheduled). Built and run by
 * ffi/tests/c_abi_e2e.rs; exit 0 when every check holds, else 1 with the reason on stderr. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gauntlet.h"

static int check(int status, const char *what) {
    if (status != GAUNTLET_OK) {
        fprintf(stderr, "FAIL %s: status %d: %s\n", what, status, gauntlet_last_error());
        exit(1);
    }
    return status;
}

/* The integer after "\"key\":" in json (the first such key), or -1. */
static long field(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    if (at == NULL) return -1;
    at += strlen(pattern);
    while (*at == ' ') at++;
    return strtol(at, NULL, 10);
}

/* The run's progress JSON's "state" value copied into out. */
static void state_of(GauntletRun *run, char *out, size_t n) {
    char *json = NULL;
    check(gauntlet_run_progress(run, &json), "progress");
    const char *at = strstr(json, "\"state\":\"");
    out[0] = '\0';
    if (at != NULL) {
        at += strlen("\"state\":\"");
        size_t i = 0;
        while (at[i] != '"' && i + 1 < n) { out[i] = at[i]; i++; }
        out[i] = '\0';
    }
    gauntlet_string_free(json);
}

/* Checks the summary's accounting balances; returns its scheduled count. */
static long balanced(GauntletRun *run, const char *label, long *cancelled) {
    char *summary = NULL;
    check(gauntlet_run_summary(run, &summary), "summary");
    const char *acc = strstr(summary, "\"request_accounting\"");
    if (acc == NULL) { fprintf(stderr, "FAIL %s: no accounting in the summary\n", label); exit(1); }
    long scheduled = field(acc, "scheduled"), completed = field(acc, "completed");
    long failed = field(acc, "failed"), cancel = field(acc, "cancelled");
    long not_sent = field(acc, "not_sent");
    printf("%s: scheduled %ld completed %ld failed %ld cancelled %ld not_sent %ld\n", label,
           scheduled, completed, failed, cancel, not_sent);
    if (scheduled < 0 || completed + failed + cancel + not_sent != scheduled) {
        fprintf(stderr, "FAIL %s: accounting does not balance\n", label);
        exit(1);
    }
    *cancelled = strstr(summary, "\"was_cancelled\": true") != NULL ||
                 strstr(summary, "\"was_cancelled\":true") != NULL;
    gauntlet_string_free(summary);
    return completed;
}

/* Cancels the run from a thread other than the one that made it, once its live counts show
 * finished requests while it is still running. */
static void *cancel_from_thread(void *arg) {
    GauntletRun *run = arg;
    char state[32];
    state_of(run, state, sizeof state);
    if (strcmp(state, "running") != 0) { fprintf(stderr, "FAIL state %s, not running\n", state); exit(1); }
    char *json = NULL;
    check(gauntlet_run_progress(run, &json), "live progress");
    printf("live: %s\n", json);
    long scheduled = field(json, "scheduled"), sent = field(json, "sent");
    long completed = field(json, "completed"), failed = field(json, "failed");
    long cancelled = field(json, "cancelled"), in_flight = field(json, "in_flight");
    int running = strstr(json, "\"state\":\"running\"") != NULL;
    gauntlet_string_free(json);
    if (!running || scheduled != 100000 || completed <= 0 || failed != 0 || in_flight < 0 ||
        completed + failed + cancelled + in_flight > sent) {
        fprintf(stderr, "FAIL live counts while running\n");
        exit(1);
    }
    check(gauntlet_run_cancel(run), "cancel");
    return NULL;
}

static char *config(const char *url, int requests) {
    static char text[1024];
    snprintf(text, sizeof text,
             "schemaVersion: \"2.0\"\n"
             "benchmark:\n"
             "  model: mock-model\n"
             "  endpoint: {url: \"%s\", type: chat, streaming: true}\n"
             "  dataset: {type: synthetic, entries: 8, prompts: {isl: {mean: 32}, osl: {mean: 16}}}\n"
             "  phases:\n"
             "    - {type: concurrency, concurrency: 2, requests: %d}\n",
             url, requests);
    return text;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: run_mock URL DIR\n"); return 2; }
    const char *url = argv[1];
    char dir1[512], dir2[512], state[32];
    snprintf(dir1, sizeof dir1, "%s/complete", argv[2]);
    snprintf(dir2, sizeof dir2, "%s/cancelled", argv[2]);
    printf("gauntlet %s\n", gauntlet_version());

    /* A bad config: a status code and a message naming the key, no handle. */
    GauntletRun *bad = NULL;
    int status = gauntlet_run_create("schemaVersion: \"2.0\"\nbenchmark:\n  modle: m\n", "bad.yaml",
                                     NULL, &bad);
    if (status != GAUNTLET_ERR_CONFIG || bad != NULL || strstr(gauntlet_last_error(), "modle") == NULL) {
        fprintf(stderr, "FAIL bad config: status %d, message %s\n", status, gauntlet_last_error());
        return 1;
    }
    printf("bad config: %s\n", gauntlet_last_error());

    /* One run to completion. */
    GauntletRun *run = NULL;
    check(gauntlet_run_create(config(url, 6), "complete.yaml", dir1, &run), "create");
    check(gauntlet_run_start(run), "start");
    if (gauntlet_run_start(run) != GAUNTLET_ERR_STATE) { fprintf(stderr, "FAIL second start\n"); return 1; }
    check(gauntlet_run_wait(run, 120000), "wait");
    state_of(run, state, sizeof state);
    long cancelled = 0;
    long completed = balanced(run, "complete", &cancelled);
    if (strcmp(state, "finished") != 0 || completed != 6 || cancelled) {
        fprintf(stderr, "FAIL complete run: state %s, completed %ld\n", state, completed);
        return 1;
    }
    char *artifacts = NULL;
    check(gauntlet_run_artifact_dir(run, &artifacts), "artifact dir");
    printf("artifacts: %s\n", artifacts);
    if (strcmp(artifacts, dir1) != 0) { fprintf(stderr, "FAIL artifact dir\n"); return 1; }
    gauntlet_string_free(artifacts);
    check(gauntlet_run_free(run), "free");

    /* A long run, cancelled once it has run a second. */
    check(gauntlet_run_create(config(url, 100000), "cancelled.yaml", dir2, &run), "create 2");
    check(gauntlet_run_start(run), "start 2");
    if (gauntlet_run_wait(run, 1000) != GAUNTLET_ERR_TIMEOUT) {
        fprintf(stderr, "FAIL the long run ended within a second\n");
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t canceller;
    if (pthread_create(&canceller, NULL, cancel_from_thread, run) != 0 ||
        pthread_join(canceller, NULL) != 0) {
        fprintf(stderr, "FAIL no thread\n");
        return 1;
    }
    check(gauntlet_run_wait(run, 60000), "wait 2");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    state_of(run, state, sizeof state);
    char *progress = NULL;
    check(gauntlet_run_progress(run, &progress), "progress 2");
    printf("progress: %s\n", progress);
    gauntlet_string_free(progress);
    completed = balanced(run, "cancelled", &cancelled);
    printf("cancel to end: %.2f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (strcmp(state, "cancelled") != 0 || !cancelled || completed <= 0 || completed >= 100000) {
        fprintf(stderr, "FAIL cancelled run: state %s, completed %ld\n", state, completed);
        return 1;
    }
    check(gauntlet_run_free(run), "free 2");
    printf("ok\n");
    return 0;
}

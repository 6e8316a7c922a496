/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replays a fuzz target over its corpus without libFuzzer, as TAP: one test
 * per input file. Without arguments it reads tests/fuzz/corpus/NAME/, where
 * NAME is the program's name without its "fuzz_" prefix; with arguments it
 * runs the named files or directories. A crash or sanitizer report fails
 * the run; a normal return is a pass.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n_tests;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;
    int ret = -1;

    if (!f)
        goto out;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    /* An exact-size heap copy, so that ASan sees any read past the input. */
    buf = malloc(len ? (size_t)len : 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        goto out;
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    ret = 0;
out:
    printf("%s %d - %s\n", ret == 0 ? "ok" : "not ok", ++n_tests, path);
    fflush(stdout);
    free(buf);
    if (f)
        fclose(f);
    return ret;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    int failed = 0;

    if (stat(path, &st) != 0) {
        printf("not ok %d - %s: %s\n", ++n_tests, path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path) != 0;
    if (!(d = opendir(path)))
        return 1;
    while ((e = readdir(d))) {
        char **grown;
        if (e->d_name[0] == '.')
            continue;
        if (!(grown = realloc(names, (n + 1) * sizeof *names)))
            break;
        names = grown;
        names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!names[n])
            break;
        sprintf(names[n], "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
        failed |= run_file(names[i]) != 0;
        free(names[i]);
    }
    free(names);
    return failed;
}

int main(int argc, char **argv)
{
    int failed = 0;

    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            failed |= run_path(argv[i]);
    } else {
        const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        char dir[512];
        if (strncmp(name, "fuzz_", 5) == 0)
            name += 5;
        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
        failed |= run_path(dir);
    }
    printf("1..%d\n", n_tests);
    return failed;
}

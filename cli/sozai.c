/*
 * sozai — the command: one process runs a chain of operations over one
 * document.
 *
 *   sozai [GLOBAL...] IN [OP [--opt v]...]... [-o OUT]
 *
 * Everything an operation accepts comes from its definition in the
 * library's registry, so this file knows no operation by name.
 *
 * Exit status: 0 success, 1 processing or writing failed, 2 usage error,
 * 3 bad input (unreadable, malformed, unsupported or over a limit).
 */
#include "sozai.h"
#include "heap.h"
#include "threads.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_PROCESSING = 1, EXIT_USAGE = 2, EXIT_BAD_INPUT = 3 };

typedef struct step {
    const sz_op *op;
    sz_args *args;
} step;

typedef struct options {
    const char *input;
    const char *output;
    const char *format;
    int depth;
    int compression;
    bool overwrite_input;
    int verbosity; /* 0 quiet, 1 warnings, 2 info, 3 debug */
    int progress;  /* -1 auto, 0 never, 1 always */
    step *steps;
    int nsteps;
} options;

static const char *prog = "sozai";

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sozai --help'.\n");
}

/* ------------------------------------------------------------------ */
/* Suggestions for a misspelt name                                     */

/* Edit distance between a and b (insertions, deletions, substitutions),
 * counted only up to `cap`: anything farther is cap + 1. */
static int edit_distance(const char *a, const char *b, int cap)
{
    enum { LONGEST = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > LONGEST || lb > LONGEST) return cap + 1;
    int row[LONGEST + 1];
    for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > cap ? cap + 1 : row[lb];
}

/* Keeps `candidate` in *best if it is closer to `typed` than what is
 * there: within two edits, or one for short names. */
static void consider(const char *typed, const char *candidate, const char **best, int *best_d)
{
    int cap = strlen(typed) <= 4 ? 1 : 2;
    int d = edit_distance(typed, candidate, cap);
    if (d <= cap && d < *best_d) *best = candidate, *best_d = d;
}

/* The operation most like `name`, or NULL. */
static const char *op_like(const char *name)
{
    const char *best = NULL;
    int best_d = 1 << 20;
    for (int i = 0; i < sz_op_count(); i++) consider(name, sz_op_name(sz_op_at(i)), &best, &best_d);
    return best;
}

/* The options a step's operation takes: its own, then, when it selects
 * layers, the shared layer options. */
static int step_param_count(const step *s)
{
    return sz_op_param_count(s->op) + (sz_op_selects_layers(s->op) ? sz_common_param_count() : 0);
}

static const sz_param *step_param(const step *s, int k)
{
    int own = sz_op_param_count(s->op);
    return k < own ? sz_op_param(s->op, k) : sz_common_param(k - own);
}

/* The option of s's operation most like `name`, or NULL. */
static const char *param_like(const step *s, const char *name)
{
    const char *best = NULL;
    int best_d = 1 << 20;
    for (int k = 0; k < step_param_count(s); k++) consider(name, step_param(s, k)->name, &best, &best_d);
    return best;
}

static void unknown_op(const char *name)
{
    const char *like = op_like(name);
    if (like) usage_error("no operation named '%s'; did you mean '%s'? (see: sozai list)", name, like);
    else usage_error("no operation named '%s' (see: sozai list)", name);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                           */
/* ------------------------------------------------------------------ */

typedef struct progress_state {
    int mode;
    double start;
    bool shown;
    char stage[64];
} progress_state;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int on_progress(void *user, const char *stage, double fraction)
{
    progress_state *p = user;
    if (p->mode == 0) return 0;
    /* Only long work on a terminal earns a progress line. */
    if (!p->shown && p->mode < 0 && now() - p->start < 0.5) return 0;
    if (fraction > 1) fraction = 1;
    fprintf(stderr, "\r%s: %-24.24s %3d%%", prog, stage, (int)(fraction * 100 + 0.5));
    fflush(stderr);
    p->shown = true;
    snprintf(p->stage, sizeof p->stage, "%s", stage);
    return 0;
}

static void progress_done(progress_state *p)
{
    if (p->shown) fprintf(stderr, "\r%*s\r", 40 + (int)strlen(prog), "");
    p->shown = false;
}

static int verbosity = 1;
static progress_state progress;

static void on_log(void *user, sz_log_level level, const char *msg)
{
    (void)user;
    int need = level == SZ_LOG_WARNING ? 1 : level == SZ_LOG_INFO ? 2 : 3;
    if (verbosity < need) return;
    progress_done(&progress);
    fprintf(stderr, "%s: %s%s\n", prog, level == SZ_LOG_WARNING ? "warning: " : "", msg);
}

static void on_text(void *user, const char *text)
{
    fputs(text, (FILE *)user);
}

/* ------------------------------------------------------------------ */
/* Help                                                                */
/* ------------------------------------------------------------------ */

static const char *type_word(sz_param_type t)
{
    switch (t) {
    case SZ_PARAM_BOOL: return "";
    case SZ_PARAM_INT: return " N";
    case SZ_PARAM_FLOAT: return " X";
    case SZ_PARAM_CHOICE: return " WORD";
    case SZ_PARAM_PATH:
    case SZ_PARAM_OUTPUT_PATH: return " FILE";
    default: return " TEXT";
    }
}

static void print_param(FILE *f, const sz_param *p)
{
    char head[64];
    snprintf(head, sizeof head, "--%s%s", p->name, type_word(p->type));
    fprintf(f, "  %-24s %s", head, p->help);
    if (p->type == SZ_PARAM_CHOICE && p->choices) {
        fprintf(f, " (");
        for (int k = 0; p->choices[k]; k++) fprintf(f, "%s%s", k ? ", " : "", p->choices[k]);
        fprintf(f, ")");
    }
    if ((p->type == SZ_PARAM_INT || p->type == SZ_PARAM_FLOAT) && p->min <= p->max)
        fprintf(f, " [%g..%g]", p->min, p->max);
    if (p->def && p->type != SZ_PARAM_BOOL) fprintf(f, " (default %s)", p->def);
    fprintf(f, "\n");
}

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: sozai [OPTIONS] IN [OP [--opt value]...]... [-o OUT]\n"
            "       sozai list [--json]      list the operations\n"
            "       sozai help OP            describe one operation\n"
            "       sozai --version\n"
            "\n"
            "Reads IN (PNG, TIFF, PSD/PSB or PAM, told by its magic bytes; - is standard\n"
            "input), runs the operations in order, and writes OUT atomically (.png .tif\n"
            ".psd .psb .pam; - or -.png is standard output).\n"
            "\n"
            "options:\n"
            "  -o, --output FILE        where to write the result\n"
            "  --format WORD            output format: png, tiff, psd, psb, pam (default: from OUT)\n"
            "  --depth 8|16             output bits per channel (default: the input's)\n"
            "  --compression WORD       PSD channel compression: rle (default), zip\n"
            "  --threads N              threads to use (default: all processors; one for small layers)\n"
            "  --limit-layer-pixels N   refuse layers larger than N pixels (default 268435456)\n"
            "  --limit-doc-pixels N     refuse canvases larger than N pixels (default 1073741824)\n"
            "  --limit-layers N         refuse documents with more layers (default 10000)\n"
            "  --limit-memory BYTES     refuse inputs needing more pixel memory (default 16 GiB)\n"
            "  --overwrite-input        allow OUT to be the input file\n"
            "  --progress, --no-progress  force progress display on or off (default: on a terminal)\n"
            "  -q, --quiet              no warnings;  -v, --verbose  more messages\n"
            "  -h, --help               this text\n"
            "\n"
            "exit status: 0 success, 1 processing or writing failed, 2 usage error, 3 bad input\n"
            "\n"
            "operations:\n");
    for (int i = 0; i < sz_op_count(); i++)
        fprintf(f, "  %-16s %s\n", sz_op_name(sz_op_at(i)), sz_op_summary(sz_op_at(i)));
}

static int cmd_help(const char *name)
{
    const sz_op *op = sz_op_find(name);
    if (!op) {
        unknown_op(name);
        return EXIT_USAGE;
    }
    printf("sozai %s — %s\n\n%s\n\noptions:\n", sz_op_name(op), sz_op_summary(op), sz_op_help(op));
    for (int i = 0; i < sz_op_param_count(op); i++) print_param(stdout, sz_op_param(op, i));
    /* Layer selection is shared by the operations that take it. */
    if (sz_op_selects_layers(op))
        for (int i = 0; i < sz_common_param_count(); i++) print_param(stdout, sz_common_param(i));
    return 0;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if (*s == '\n') printf("\\n");
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

static void json_params(const sz_param *(*get)(const void *, int), const void *src, int n)
{
    static const char *types[] = {"bool", "int", "float", "string", "choice", "path", "output-path"};
    printf("[");
    for (int k = 0; k < n; k++) {
        const sz_param *p = get(src, k);
        printf("%s{\"name\":", k ? "," : "");
        json_str(p->name);
        printf(",\"type\":\"%s\",\"help\":", types[p->type]);
        json_str(p->help);
        printf(",\"default\":");
        if (p->def) json_str(p->def);
        else printf("null");
        if (p->min <= p->max) printf(",\"min\":%g,\"max\":%g", p->min, p->max);
        if (p->choices) {
            printf(",\"choices\":[");
            for (int c = 0; p->choices[c]; c++) {
                if (c) printf(",");
                json_str(p->choices[c]);
            }
            printf("]");
        }
        printf("}");
    }
    printf("]");
}

static const sz_param *get_op_param(const void *op, int i) { return sz_op_param(op, i); }
static const sz_param *get_common_param(const void *unused, int i) { (void)unused; return sz_common_param(i); }

static int cmd_list(bool json)
{
    if (!json) {
        for (int i = 0; i < sz_op_count(); i++)
            printf("%-16s %s\n", sz_op_name(sz_op_at(i)), sz_op_summary(sz_op_at(i)));
        return 0;
    }
    printf("{\"version\":");
    json_str(sz_version());
    printf(",\"common_params\":");
    json_params(get_common_param, NULL, sz_common_param_count());
    printf(",\"operations\":[");
    for (int i = 0; i < sz_op_count(); i++) {
        const sz_op *op = sz_op_at(i);
        printf("%s{\"name\":", i ? "," : "");
        json_str(sz_op_name(op));
        printf(",\"summary\":");
        json_str(sz_op_summary(op));
        printf(",\"help\":");
        json_str(sz_op_help(op));
        printf(",\"params\":");
        json_params(get_op_param, op, sz_op_param_count(op));
        printf("}");
    }
    printf("]}\n");
    return 0;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static bool parse_count(const char *s, unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-') return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0) return false;
    *out = v;
    return true;
}

/* Handles a global option at argv[*i]; returns 1 handled, 0 not global,
 * -1 usage error (already reported). */
static int global_option(sz_ctx *ctx, options *o, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
    char name[64];
    if (nlen >= sizeof name) return 0;
    memcpy(name, arg, nlen);
    name[nlen] = '\0';
#define VALUE()                                                                 \
    (eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL))
    static const struct { const char *flag; sz_limit which; } limits[] = {
        {"--limit-layer-pixels", SZ_LIMIT_LAYER_PIXELS},
        {"--limit-doc-pixels", SZ_LIMIT_DOC_PIXELS},
        {"--limit-layers", SZ_LIMIT_LAYERS},
        {"--limit-memory", SZ_LIMIT_MEMORY},
    };
    if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
        const char *v = VALUE();
        if (!v) return usage_error("%s needs a file name", name), -1;
        if (o->output) return usage_error("only one output (-o) is allowed"), -1;
        o->output = v;
        return 1;
    }
    if (!strcmp(name, "--format")) {
        const char *v = VALUE();
        if (!v || (strcasecmp(v, "png") && strcasecmp(v, "tiff") && strcasecmp(v, "tif") &&
                   strcasecmp(v, "psd") && strcasecmp(v, "psb") && strcasecmp(v, "pam")))
            return usage_error("--format takes png, tiff, psd, psb or pam"), -1;
        o->format = v;
        return 1;
    }
    if (!strcmp(name, "--depth")) {
        const char *v = VALUE();
        if (!v || (strcmp(v, "8") && strcmp(v, "16"))) return usage_error("--depth takes 8 or 16"), -1;
        o->depth = atoi(v);
        return 1;
    }
    if (!strcmp(name, "--compression")) {
        const char *v = VALUE();
        if (!v || (strcasecmp(v, "rle") && strcasecmp(v, "zip")))
            return usage_error("--compression takes rle or zip"), -1;
        o->compression = strcasecmp(v, "rle") ? 2 : 1;
        return 1;
    }
    if (!strcmp(name, "--threads")) {
        const char *v = VALUE();
        unsigned long long n;
        if (!parse_count(v, &n) || n > 1024) return usage_error("--threads takes a number from 1 to 1024"), -1;
        sz_ctx_set_threads(ctx, (int)n);
        return 1;
    }
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++)
        if (!strcmp(name, limits[k].flag)) {
            unsigned long long n;
            if (!parse_count(VALUE(), &n)) return usage_error("%s takes a positive number", name), -1;
            sz_ctx_set_limit(ctx, limits[k].which, n);
            return 1;
        }
    if (eq) return 0;
    if (!strcmp(arg, "--overwrite-input")) return o->overwrite_input = true, 1;
    if (!strcmp(arg, "--progress")) return o->progress = 1, 1;
    if (!strcmp(arg, "--no-progress")) return o->progress = 0, 1;
    if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) return o->verbosity = 0, 1;
    if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) return o->verbosity++, 1;
#undef VALUE
    return 0;
}

static bool param_is_bool(const sz_op *op, const char *name)
{
    for (int k = 0; k < sz_op_param_count(op); k++)
        if (!strcmp(sz_op_param(op, k)->name, name)) return sz_op_param(op, k)->type == SZ_PARAM_BOOL;
    return false;
}

static bool op_has_param(const step *s, const char *name)
{
    for (int k = 0; k < step_param_count(s); k++)
        if (!strcmp(step_param(s, k)->name, name)) return true;
    return false;
}

/* The name of a long option "--name" or "--name=value" into name (size
 * bytes), and its value after '=' or NULL; false when the name is too
 * long to be any option's. */
static bool option_name(const char *arg, char *name, size_t size, const char **value)
{
    const char *eq = strchr(arg + 2, '=');
    size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (n >= size) return false;
    memcpy(name, arg + 2, n);
    name[n] = '\0';
    *value = eq ? eq + 1 : NULL;
    return true;
}

static int parse_args(sz_ctx *ctx, options *o, int argc, char **argv)
{
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        step *cur = o->nsteps ? &o->steps[o->nsteps - 1] : NULL;
        bool is_opt = !only_positional && arg[0] == '-' && arg[1] != '\0';
        if (is_opt && !strcmp(arg, "--")) {
            only_positional = true;
            continue;
        }
        if (is_opt && cur && !strcmp(arg, "-o") && op_has_param(cur, "output"))
            arg = "--output"; /* an operation that writes files takes -o itself */
        char name[64];
        const char *v = NULL;
        bool named = is_opt && arg[1] == '-' && option_name(arg, name, sizeof name, &v);
        if (named && cur && op_has_param(cur, name)) {
            /* An option of the current operation takes precedence. */
            if (!v && !param_is_bool(cur->op, name)) {
                if (i + 1 >= argc) return usage_error("%s: --%s needs a value", sz_op_name(cur->op), name), -1;
                v = argv[++i];
            }
            if (sz_args_set(ctx, cur->args, name, v)) {
                usage_error("%s: %s", sz_op_name(cur->op), sz_ctx_error(ctx));
                return -1;
            }
            continue;
        }
        if (is_opt) {
            int r = global_option(ctx, o, argc, argv, &i);
            if (r < 0) return -1;
            if (r > 0) continue;
            const char *like = named && cur ? param_like(cur, name) : NULL;
            if (like)
                usage_error("%s has no option %s; did you mean --%s? (see: sozai help %s)", sz_op_name(cur->op), arg,
                            like, sz_op_name(cur->op));
            else if (cur)
                usage_error("%s has no option %s (see: sozai help %s)", sz_op_name(cur->op), arg, sz_op_name(cur->op));
            else usage_error("unknown option %s", arg);
            return -1;
        }
        if (!o->input) {
            o->input = arg;
            continue;
        }
        const sz_op *op = sz_op_find(arg);
        if (!op) return unknown_op(arg), -1;
        step *steps = realloc(o->steps, (size_t)(o->nsteps + 1) * sizeof *steps);
        if (!steps) return usage_error("out of memory"), -1;
        o->steps = steps;
        o->steps[o->nsteps].op = op;
        o->steps[o->nsteps].args = sz_args_new(ctx, op);
        if (!o->steps[o->nsteps].args) return usage_error("%s", sz_ctx_error(ctx)), -1;
        o->nsteps++;
    }
    return 0;
}

/* ------------------------------------------------------------------ */

static int exit_for(sz_status st, bool reading)
{
    switch (st) {
    case SZ_OK: return 0;
    case SZ_ERR_ARG: return EXIT_USAGE;
    case SZ_ERR_FORMAT:
    case SZ_ERR_UNSUPPORTED:
    case SZ_ERR_LIMIT: return EXIT_BAD_INPUT;
    case SZ_ERR_IO: return reading ? EXIT_BAD_INPUT : EXIT_PROCESSING;
    default: return EXIT_PROCESSING;
    }
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!strcmp(a, "-") || !strcmp(b, "-")) return false;
    if (stat(a, &sa) || stat(b, &sb)) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The value of step s's k-th option when it names a file the step writes
 * (`written`) or reads, and was given; else NULL.  --mask and --model are
 * read, --debug and export-layers' names written (sz_param_type). */
static const char *step_file(const step *s, int k, bool written)
{
    const sz_param *p = step_param(s, k);
    if (p->type != (written ? SZ_PARAM_OUTPUT_PATH : SZ_PARAM_PATH) || !sz_args_is_set(s->args, p->name)) return NULL;
    return sz_args_text(s->args, p->name);
}

/* Whether writing `out` (by `writer`, the option that names it) would
 * replace a file the chain reads; if so, says so.  The input may be
 * replaced only by -o, with --overwrite-input. */
static bool replaces_a_read_file(const options *o, const char *out, const char *writer)
{
    bool output = !strcmp(writer, "-o");
    if (same_file(out, o->input) && !(output && o->overwrite_input)) {
        usage_error("%s '%s' is the input too; refusing to overwrite it%s", writer, out,
                    output ? " (add --overwrite-input)" : "");
        return true;
    }
    for (int i = 0; i < o->nsteps; i++)
        for (int k = 0; k < step_param_count(&o->steps[i]); k++) {
            const char *in = step_file(&o->steps[i], k, false);
            if (!in || !same_file(out, in)) continue;
            usage_error("%s '%s' is what %s --%s reads; refusing to overwrite it", writer, out,
                        sz_op_name(o->steps[i].op), step_param(&o->steps[i], k)->name);
            return true;
        }
    return false;
}

/* Whether any file the chain writes is one it reads (said if so). */
static bool overwrites_what_it_reads(const options *o)
{
    if (o->output && replaces_a_read_file(o, o->output, "-o")) return true;
    for (int i = 0; i < o->nsteps; i++)
        for (int k = 0; k < step_param_count(&o->steps[i]); k++) {
            const char *out = step_file(&o->steps[i], k, true);
            char writer[80];
            snprintf(writer, sizeof writer, "%s --%s", sz_op_name(o->steps[i].op), step_param(&o->steps[i], k)->name);
            if (out && replaces_a_read_file(o, out, writer)) return true;
        }
    return false;
}

static sz_format output_format(const options *o)
{
    const char *f = o->format;
    if (f) {
        if (!strcasecmp(f, "png")) return SZ_FORMAT_PNG;
        if (!strcasecmp(f, "tiff") || !strcasecmp(f, "tif")) return SZ_FORMAT_TIFF;
        if (!strcasecmp(f, "psd") || !strcasecmp(f, "psb")) return SZ_FORMAT_PSD;
        if (!strcasecmp(f, "pam")) return SZ_FORMAT_PAM;
    }
    return sz_format_from_name(o->output);
}

static int run_chain(sz_ctx *ctx, options *o)
{
    if (!o->input) {
        usage_error("no input file");
        return EXIT_USAGE;
    }
    bool needs_output = false;
    for (int i = 0; i < o->nsteps; i++) needs_output |= sz_op_needs_output(o->steps[i].op) != 0;
    if (!o->output && (needs_output || o->nsteps == 0)) {
        usage_error(o->nsteps ? "the chain changes the document: give -o OUT"
                              : "nothing to do: give an operation or -o OUT");
        return EXIT_USAGE;
    }
    sz_format fmt = SZ_FORMAT_UNKNOWN;
    if (o->output) {
        fmt = output_format(o);
        if (fmt == SZ_FORMAT_UNKNOWN) {
            usage_error("cannot tell the output format of '%s': use .png, .tif, .psd, .psb, .pam or --format", o->output);
            return EXIT_USAGE;
        }
    }
    if (overwrites_what_it_reads(o)) return EXIT_USAGE;
    /* and what an operation names as it goes (export-layers' files) is
     * checked by the library against the same files */
    sz_status kept = o->overwrite_input ? SZ_OK : sz_ctx_keep_file(ctx, o->input);
    for (int i = 0; i < o->nsteps && !kept; i++)
        for (int k = 0; k < step_param_count(&o->steps[i]) && !kept; k++)
            kept = sz_ctx_keep_file(ctx, step_file(&o->steps[i], k, false));
    if (kept) {
        fprintf(stderr, "%s: %s\n", prog, sz_ctx_error(ctx));
        return EXIT_PROCESSING;
    }
    sz_ctx_set_text_output(ctx, on_text, (o->output && !strncmp(o->output, "-", 1) &&
                                          (o->output[1] == '\0' || o->output[1] == '.')) ? stderr : stdout);
    sz_doc *doc = NULL;
    sz_status st = sz_doc_read_file(ctx, o->input, &doc);
    if (st) {
        progress_done(&progress);
        fprintf(stderr, "%s: %s\n", prog, sz_ctx_error(ctx));
        return exit_for(st, true);
    }
    for (int i = 0; i < o->nsteps; i++) {
        st = sz_op_run(ctx, o->steps[i].op, doc, o->steps[i].args);
        progress_done(&progress);
        if (st) {
            fprintf(stderr, "%s: %s: %s\n", prog, sz_op_name(o->steps[i].op), sz_ctx_error(ctx));
            sz_doc_free(doc);
            return exit_for(st, false);
        }
    }
    if (o->output) {
        /* "-.png" means standard output in PNG. */
        const char *path = (o->output[0] == '-' && (o->output[1] == '\0' || o->output[1] == '.')) ? "-" : o->output;
        if (!strcmp(path, "-") && isatty(STDOUT_FILENO) && fmt != SZ_FORMAT_PAM) {
            usage_error("refusing to write binary image data to a terminal");
            sz_doc_free(doc);
            return EXIT_USAGE;
        }
        sz_write_options wo = {.depth = o->depth, .compression = o->compression,
                               .force_psb = o->format && !strcasecmp(o->format, "psb")};
        st = sz_doc_write_file(ctx, doc, path, fmt, &wo);
        progress_done(&progress);
        if (st) {
            fprintf(stderr, "%s: %s\n", prog, sz_ctx_error(ctx));
            sz_doc_free(doc);
            return exit_for(st, false) == EXIT_USAGE ? EXIT_USAGE : EXIT_PROCESSING;
        }
    }
    sz_doc_free(doc);
    return 0;
}

int main(int argc, char **argv)
{
    sz_cli_reserve_heap();

    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("sozai %s\n", sz_version());
        return 0;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "list") && access(argv[1], F_OK) != 0) {
        if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json"))) {
            usage_error("usage: sozai list [--json]");
            return EXIT_USAGE;
        }
        return cmd_list(argc == 3);
    }
    if (!strcmp(argv[1], "help") && access(argv[1], F_OK) != 0) {
        if (argc != 3) {
            print_usage(stdout);
            return argc == 2 ? 0 : EXIT_USAGE;
        }
        return cmd_help(argv[2]);
    }

    sz_ctx *ctx = sz_ctx_new();
    if (!ctx) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_PROCESSING;
    }
    options o = {.verbosity = 1, .progress = -1};
    int rc;
    if (parse_args(ctx, &o, argc, argv)) {
        rc = EXIT_USAGE;
    } else {
        sz_cli_spin_briefly(argv, o.input, sz_ctx_threads(ctx));
        verbosity = o.verbosity;
        progress.mode = o.progress < 0 ? (isatty(STDERR_FILENO) && o.verbosity ? -1 : 0) : o.progress;
        progress.start = now();
        sz_ctx_set_log(ctx, on_log, NULL);
        sz_ctx_set_progress(ctx, on_progress, &progress);
        rc = run_chain(ctx, &o);
    }
    for (int i = 0; i < o.nsteps; i++) sz_args_free(o.steps[i].args);
    free(o.steps);
    sz_ctx_free(ctx);
    return rc;
}

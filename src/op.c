/*
 * op.c — the operation registry, argument parsing and validation, and the
 * runner.  Every operation is one record in filters/; adding one means
 * adding its file and one line in `registry` below.
 */
#include "op.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

extern const sz_op sz_op_info;
extern const sz_op sz_op_bleed;
extern const sz_op sz_op_to_srgb;
extern const sz_op sz_op_export_layers;
extern const sz_op sz_op_extend_lines;
extern const sz_op sz_op_fill_behind;
extern const sz_op sz_op_complete;

static const sz_op *const registry[] = {
    &sz_op_info,
    &sz_op_to_srgb,
    &sz_op_bleed,
    &sz_op_extend_lines,
    &sz_op_fill_behind,
    &sz_op_complete,
    &sz_op_export_layers,
};

static const sz_param common_params[] = {
    {"layers", SZ_PARAM_STRING,
     "Layers to work on: comma-separated names, globs (*, ?), group paths (Group/Name) or "
     "indexes (3, 2-5; 0 = bottom); a leading ! excludes; default: all layers",
     NULL, 0, -1, NULL},
    {NULL, 0, NULL, NULL, 0, 0, NULL},
};

int sz_op_count(void) { return (int)SZ_COUNTOF(registry); }

const sz_op *sz_op_at(int i)
{
    return i >= 0 && i < sz_op_count() ? registry[i] : NULL;
}

const sz_op *sz_op_find(const char *name)
{
    for (int i = 0; i < sz_op_count(); i++)
        if (!strcmp(registry[i]->name, name)) return registry[i];
    return NULL;
}

const char *sz_op_name(const sz_op *op) { return op->name; }
const char *sz_op_summary(const sz_op *op) { return op->summary; }
const char *sz_op_help(const sz_op *op) { return op->help; }

int sz_op_needs_output(const sz_op *op) { return (op->flags & SZ_OP_NEEDS_OUTPUT) != 0; }
int sz_op_selects_layers(const sz_op *op) { return (op->flags & SZ_OP_SELECTS_LAYERS) != 0; }

int sz_op_param_count(const sz_op *op)
{
    int n = 0;
    while (op->params && op->params[n].name) n++;
    return n;
}

const sz_param *sz_op_param(const sz_op *op, int i)
{
    return i >= 0 && i < sz_op_param_count(op) ? &op->params[i] : NULL;
}

int sz_common_param_count(void) { return (int)SZ_COUNTOF(common_params) - 1; }

const sz_param *sz_common_param(int i)
{
    return i >= 0 && i < sz_common_param_count() ? &common_params[i] : NULL;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

typedef struct arg_value {
    const sz_param *param;
    bool set;     /* given by the user */
    bool has;     /* has a value (set or defaulted) */
    bool b;
    long i;
    double f;
    char *s;
} arg_value;

struct sz_args {
    const sz_op *op;
    int count;
    arg_value *v;
};

static bool parse_bool(const char *s, bool *out)
{
    if (!s || !strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1") || !strcasecmp(s, "on")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0") || !strcasecmp(s, "off")) {
        *out = false;
        return true;
    }
    return false;
}

static sz_status parse_value(sz_ctx *ctx, const char *opname, arg_value *a, const char *text)
{
    const sz_param *p = a->param;
    bool ranged = p->min <= p->max;
    switch (p->type) {
    case SZ_PARAM_BOOL:
        if (!parse_bool(text, &a->b))
            return sz_fail(ctx, SZ_ERR_ARG, "--%s takes true or false, not \"%s\"", p->name, text);
        break;
    case SZ_PARAM_INT: {
        char *end;
        errno = 0;
        long v = text ? strtol(text, &end, 10) : 0;
        if (!text || !*text || *end || errno)
            return sz_fail(ctx, SZ_ERR_ARG, "--%s takes a whole number, not \"%s\"", p->name,
                           text ? text : "");
        if (ranged && (v < p->min || v > p->max))
            return sz_fail(ctx, SZ_ERR_ARG, "--%s must lie in %g..%g, not %ld", p->name, p->min,
                           p->max, v);
        a->i = v;
        a->f = (double)v;
        break;
    }
    case SZ_PARAM_FLOAT: {
        char *end;
        double v = text ? strtod(text, &end) : 0;
        if (!text || !*text || *end || !isfinite(v))
            return sz_fail(ctx, SZ_ERR_ARG, "--%s takes a number, not \"%s\"", p->name,
                           text ? text : "");
        if (ranged && (v < p->min || v > p->max))
            return sz_fail(ctx, SZ_ERR_ARG, "--%s must lie in %g..%g, not %g", p->name, p->min,
                           p->max, v);
        a->f = v;
        a->i = (long)v;
        break;
    }
    case SZ_PARAM_CHOICE: {
        bool found = false;
        for (int k = 0; text && p->choices && p->choices[k]; k++)
            if (!strcmp(p->choices[k], text)) found = true;
        if (!found) {
            char list[256] = "";
            for (int k = 0; p->choices && p->choices[k]; k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, p->choices[k], sizeof list - strlen(list) - 1);
            }
            return sz_fail(ctx, SZ_ERR_ARG, "--%s takes one of %s, not \"%s\"", p->name, list,
                           text ? text : "");
        }
    }
        __attribute__((fallthrough)); /* keep the word */
    case SZ_PARAM_STRING:
    case SZ_PARAM_PATH:
    case SZ_PARAM_OUTPUT_PATH: {
        if (!text || ((p->type == SZ_PARAM_PATH || p->type == SZ_PARAM_OUTPUT_PATH) && !*text))
            return sz_fail(ctx, SZ_ERR_ARG, "--%s needs a value", p->name);
        char *s = sz_strdup(ctx, text);
        if (!s) return SZ_ERR_NOMEM;
        free(a->s);
        a->s = s;
        break;
    }
    }
    (void)opname;
    a->has = true;
    return SZ_OK;
}

sz_args *sz_args_new(sz_ctx *ctx, const sz_op *op)
{
    sz_args *args = sz_calloc(ctx, 1, sizeof *args);
    if (!args) return NULL;
    int own = sz_op_param_count(op), common = (op->flags & SZ_OP_SELECTS_LAYERS) ? sz_common_param_count() : 0;
    args->op = op;
    args->count = own + common;
    args->v = sz_calloc(ctx, (size_t)(args->count ? args->count : 1), sizeof *args->v);
    if (!args->v) {
        free(args);
        return NULL;
    }
    for (int i = 0; i < args->count; i++) {
        arg_value *a = &args->v[i];
        a->param = i < own ? &op->params[i] : &common_params[i - own];
        if (a->param->def && parse_value(ctx, op->name, a, a->param->def)) {
            sz_fail(ctx, SZ_ERR_INTERNAL, "%s: bad default for --%s", op->name, a->param->name);
            sz_args_free(args);
            return NULL;
        }
        if (a->param->type == SZ_PARAM_BOOL && !a->param->def) a->has = true; /* false */
    }
    return args;
}

void sz_args_free(sz_args *args)
{
    if (!args) return;
    for (int i = 0; i < args->count; i++) free(args->v[i].s);
    free(args->v);
    free(args);
}

static arg_value *find_arg(const sz_args *args, const char *name)
{
    for (int i = 0; i < args->count; i++)
        if (!strcmp(args->v[i].param->name, name)) return &args->v[i];
    return NULL;
}

sz_status sz_args_set(sz_ctx *ctx, sz_args *args, const char *name, const char *value)
{
    arg_value *a = find_arg(args, name);
    if (!a) return sz_fail(ctx, SZ_ERR_ARG, "%s has no option --%s (see: sozai help %s)",
                           args->op->name, name, args->op->name);
    sz_status st = parse_value(ctx, args->op->name, a, value);
    if (!st) a->set = true;
    return st;
}

int sz_args_is_set(const sz_args *args, const char *name)
{
    const arg_value *a = find_arg(args, name);
    return a && a->set;
}

const char *sz_args_text(const sz_args *args, const char *name)
{
    return sz_arg_str(args, name);
}

bool sz_arg_bool(const sz_args *a, const char *name)
{
    const arg_value *v = find_arg(a, name);
    return v && v->has && v->b;
}

long sz_arg_int(const sz_args *a, const char *name)
{
    const arg_value *v = find_arg(a, name);
    return v && v->has ? v->i : 0;
}

double sz_arg_float(const sz_args *a, const char *name)
{
    const arg_value *v = find_arg(a, name);
    return v && v->has ? v->f : 0;
}

bool sz_arg_given(const sz_args *a, const char *name)
{
    const arg_value *v = find_arg(a, name);
    return v && v->has;
}

const char *sz_arg_str(const sz_args *a, const char *name)
{
    const arg_value *v = find_arg(a, name);
    return v && v->has ? v->s : NULL;
}

/* ------------------------------------------------------------------ */

sz_status sz_op_run(sz_ctx *ctx, const sz_op *op, sz_doc *doc, const sz_args *args)
{
    if (!op || !doc || !args || args->op != op)
        return sz_fail(ctx, SZ_ERR_ARG, "sz_op_run: missing operation, document or arguments");
    sz_ctx_clear_error(ctx);
    /* a small canvas is done on one thread throughout (see sz_threads);
     * a filter narrows this to each layer it works on */
    size_t outer = sz_ctx_set_work(ctx, (size_t)doc->w * (size_t)doc->h);
    sz_status st = op->run(ctx, doc, args);
    sz_ctx_set_work(ctx, outer);
    if (st && ctx->status == SZ_OK) sz_fail(ctx, st, "%s", sz_status_name(st));
    return st;
}

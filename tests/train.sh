#!/bin/sh
# The learned model's trainer and its files on the command line: a tiny
# training run whose validation loss must fall, the same weights whatever
# the number of threads, a retrained model used with --model, and clear
# errors for a damaged or contradictory one.
. "$(dirname "$0")/lib.sh"
: "${SOZAI_TRAIN:?the tests need SOZAI_TRAIN=path/to/sozai-train}"
SAMPLE=$SRC/samples/character.psd

# a short run: the loss on the validation parts falls
expect_exit 0 "tiny training run lowers the loss" "$SOZAI_TRAIN" --check --steps 40 --batch 8 --validate 16 \
    -o "$TMP/tiny.sznn" --c-source "$TMP/tiny.c"
expect_grep "validation (16 parts): loss" "$TMP/stdout" "the trainer reports the validation loss"
expect_grep "sz_nn_builtin" "$TMP/tiny.c" "the trainer writes the C source of the weights"

# the same weights with 1 and 2 threads
OMP_NUM_THREADS=1 expect_exit 0 "training, 1 thread" "$SOZAI_TRAIN" --steps 3 --batch 4 --validate 4 -o "$TMP/t1.sznn"
OMP_NUM_THREADS=2 expect_exit 0 "training, 2 threads" "$SOZAI_TRAIN" --steps 3 --batch 4 --validate 4 -o "$TMP/t2.sznn"
if cmp -s "$TMP/t1.sznn" "$TMP/t2.sznn"; then pass; else fail "weights differ between 1 and 2 training threads"; fi

# a retrained model is used with --model
expect_exit 0 "complete --model" "$SOZAI" "$SAMPLE" complete --model "$TMP/tiny.sznn" -o "$TMP/m.psd"
expect_exit 0 "complete --no-model" "$SOZAI" "$SAMPLE" complete --no-model -o "$TMP/g.psd"

# damaged, missing or contradictory models: a clear message, no output
head -c 100 "$TMP/tiny.sznn" >"$TMP/cut.sznn"
expect_exit 3 "truncated model" "$SOZAI" "$SAMPLE" complete --model "$TMP/cut.sznn" -o "$TMP/bad.psd"
expect_grep "cut.sznn" "$TMP/stderr" "the damaged model file is named"
if [ -e "$TMP/bad.psd" ]; then fail "a failed run left an output"; else pass; fi
printf 'not a model at all' >"$TMP/junk.sznn"
expect_exit 3 "not a model" "$SOZAI" "$SAMPLE" fill-behind --model "$TMP/junk.sznn" -o "$TMP/bad.psd"
expect_grep "SZNN" "$TMP/stderr" "a foreign file is called what it is"
expect_exit 1 "missing model (as a missing --mask)" "$SOZAI" "$SAMPLE" extend-lines --model "$TMP/none.sznn" -o "$TMP/bad.psd"
expect_exit 2 "--model with --no-model" "$SOZAI" "$SAMPLE" complete --model "$TMP/tiny.sznn" --no-model \
    -o "$TMP/bad.psd"
expect_grep "contradict" "$TMP/stderr" "the contradiction is named"
if [ -e "$TMP/bad.psd" ]; then fail "a failed run left an output"; else pass; fi

finish

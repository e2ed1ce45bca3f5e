#!/bin/sh
# Runs "$@" as one logged job: "start|end <pid> <seconds>" lines in $SIDE_LOG
# (cargo's RUSTC_WRAPPER, gcc's ltrans driver through ltrans-gcc.sh).
echo "start $$ $(date +%s.%N)" >> "$SIDE_LOG"
"$@"; rc=$?
echo "end $$ $(date +%s.%N)" >> "$SIDE_LOG"
exit $rc

#!/usr/bin/env bash
# The man pages agree with the programs: every command of `siprctl --help` has an entry in
# siprctl(1) and every entry there is a command; every option of siprctl and of each daemon's
# --help is documented in its page (and the page documents no option the program lacks); every
# key of `siprctl keys` is in sipr-config(5); the roff pages were generated.
source "$(dirname "$0")/docs-lib.sh"
docs_setup # siprctl connects to a bus before running any command

MAN=$SIPR_SOURCE_ROOT/man

# section PAGE NAME — the lines of "# NAME" up to the next "# " heading.
section() { awk -v h="# $2" '$0 == h { on = 1; next } /^# / { on = 0 } on' "$MAN/$1.scd"; }
# entries PAGE NAME — the bold terms that start a definition in that section ("*word*" at bol).
entries() { section "$1" "$2" | sed -n 's/^\*\([^*]*\)\*.*/\1/p' | sed 's/\\//g'; }
# help_options CMD… — every long option in a --help text.
help_options() { "$@" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u; }
# page_options PAGE — every long option the OPTIONS section defines.
page_options() { section "$1" OPTIONS | grep '^\*' | grep -oE -- '--[a-z][a-z-]*' | sort -u; }

compare() { # WHAT LEFT-NAME LEFT RIGHT-NAME RIGHT
        local x
        for x in $3; do grep -qxF -- "$x" <<<"$5" || docs_err "$1: '$x' is in $2 but not in $4"; done
        for x in $5; do grep -qxF -- "$x" <<<"$3" || docs_err "$1: '$x' is in $4 but not in $2"; done
}

siprctl=$SIPR_BUILD_ROOT/tools/siprctl/siprctl
help_cmds=$("$siprctl" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' | sort)
page_cmds=$(entries siprctl.1 COMMANDS | awk '{ print $1 }' | sort)
[[ $(wc -w <<<"$help_cmds") -ge 10 ]] || docs_err "siprctl --help lists only: $help_cmds"
compare "siprctl commands" "siprctl --help" "$help_cmds" "siprctl(1) COMMANDS" "$page_cmds"
compare "siprctl options" "siprctl --help" "$(help_options "$siprctl")" "siprctl(1) OPTIONS" "$(page_options siprctl.1)"

for d in configd resolverd healthd regd; do
        bin=$SIPR_BUILD_ROOT/services/$d/sipr-$d
        opts=$(help_options "$bin")
        [[ "$opts" == *--bus* ]] || docs_err "sipr-$d --help shows no --bus: $opts"
        compare "sipr-$d options" "sipr-$d --help" "$opts" "sipr-$d(8) OPTIONS" "$(page_options "sipr-$d.8")"
done

# Every key sipr uses, as siprctl prints it, has an entry in sipr-config(5).
keys=$("$siprctl" --json keys | jq -r '.[].key' | sort)
[[ $(wc -l <<<"$keys") -ge 20 ]] || docs_err "siprctl keys lists only: $keys"
compare "configuration keys" "siprctl keys" "$keys" "sipr-config(5) KEYS" "$(entries sipr-config.5 KEYS | sort)"

# The roff pages exist in the build and have a title line for the right section.
for p in siprctl.1 sipr-config.5 sipr-configd.8 sipr-resolverd.8 sipr-healthd.8 sipr-regd.8; do
        roff=$SIPR_BUILD_ROOT/man/$p
        if [[ ! -s "$roff" ]]; then
                docs_err "$roff was not generated"
        elif ! grep -q "^\.TH \"${p%.*}\" \"${p##*.}\"" "$roff"; then
                docs_err "$roff has no .TH line for ${p%.*}(${p##*.})"
        fi
done

((DOCS_ERRORS == 0)) || lab_fail "$DOCS_ERRORS mismatch(es) between the programs and their man pages"
echo ok

#!/bin/sh
# The bash completion (packaging/completion/kswaptrace) offers every subcommand and every option
# that `--help` of each command lists, and completes verdict names as printed.
# usage: completion.sh KSWAPTRACE SOURCE_DIR
. "$(dirname "$0")/lib.subr"
KST=${1:?usage: $0 KSWAPTRACE SOURCE_DIR}
COMP=${2:?usage: $0 KSWAPTRACE SOURCE_DIR}/packaging/completion/kswaptrace
[ -f "$COMP" ] || die "no $COMP"
for c in $(subcommands "$KST"); do
	grep -q "cmds=.*[\" ]$c[\" ]" "$COMP" || die "completion lacks the subcommand $c"
done
for c in "" $(subcommands "$KST"); do
	"$KST" $c --help | grep -o -- '--[a-z][a-z-]*' | sort -u | while read -r opt; do
		grep -q -- "$opt\\b" "$COMP" || { echo "FAIL: completion lacks '$c $opt'"; exit 1; }
	done || exit 1
done
# completing in bash itself, when bash-completion (its _init_completion) is installed
bc=/usr/share/bash-completion/bash_completion
[ -f "$bc" ] || { echo "PASS (options; bash-completion not installed: completion not run)"; exit 0; }
got=$(bash -c ". $bc; . $COMP; COMP_WORDS=(kswaptrace watch --exit-on LIVE); COMP_CWORD=3; COMP_LINE='kswaptrace watch --exit-on LIVE'; COMP_POINT=\${#COMP_LINE}; _kswaptrace; echo \"\${COMPREPLY[*]}\"")
[ "$got" = LIVELOCK ] || die "'watch --exit-on LIVE<tab>' completes to '$got', want LIVELOCK"
got=$(bash -c ". $bc; . $COMP; COMP_WORDS=(kswaptrace rep); COMP_CWORD=1; COMP_LINE='kswaptrace rep'; COMP_POINT=\${#COMP_LINE}; _kswaptrace; echo \"\${COMPREPLY[*]}\"")
[ "$got" = report ] || die "'rep<tab>' completes to '$got', want report"
echo PASS

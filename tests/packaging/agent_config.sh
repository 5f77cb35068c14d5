#!/bin/sh
# packaging/agent.toml, the example /etc/kswaptrace/agent.toml: every key, including the
# commented-out ones, is the long name of an option of `kswaptrace agent`, and (as root) the agent
# runs with the file as shipped. Skips while the binary has no `agent` command.
# usage: agent_config.sh BINARY SOURCE_DIR
. "$(dirname "$0")/lib.subr"
BIN=${1:?usage: $0 BINARY SOURCE_DIR}
CONF=${2:?usage: $0 BINARY SOURCE_DIR}/packaging/agent.toml
has_subcommand "$BIN" agent || skip "this kswaptrace has no 'agent' command"
"$BIN" agent --help > "$TMP/help" || die "kswaptrace agent --help failed"
keys=$(sed -n 's/^#\{0,1\} *\([a-z][a-z0-9-]*\) *=.*/\1/p' "$CONF")
[ -n "$keys" ] || die "no keys found in $CONF"
for k in $keys; do
	grep -q -- "--$k\b" "$TMP/help" || die "$CONF sets '$k', which is not an option of 'kswaptrace agent'"
done
# the file as shipped is accepted by the agent (it reads the file when it runs, not for --help):
# run it for 1 s, as root, with the state directory and the endpoint overridden on the command line
# (which wins over the file), so nothing outside $TMP is touched
if [ "$(id -u)" != 0 ]; then
	echo "note: not root: the agent was not run with the file"
elif ! grep -q "'off'" "$TMP/help"; then
	echo "note: 'kswaptrace agent --listen' has no 'off': the agent was not run with the file"
else
	"$BIN" agent --config "$CONF" --state-dir "$TMP/state" --listen off -d 1 > "$TMP/out" 2> "$TMP/err" ||
		{ cat "$TMP/err"; die "kswaptrace agent --config $CONF failed"; }
	echo "the agent ran 1 s with $CONF"
fi
echo "PASS: $(echo $keys | wc -w) keys of agent.toml are agent options"

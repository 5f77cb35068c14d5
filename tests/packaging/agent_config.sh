#!/bin/sh
# packaging/agent.toml, the example /etc/kswaptrace/agent.toml: every key, including the
# commented-out ones, is the long name of an option of `kswaptrace agent`, and the agent accepts
# the file as shipped. Skips while the binary has no `agent` command.
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
# the file as shipped parses (CLI11 reads the config before it acts on --help)
"$BIN" agent --config "$CONF" --help > /dev/null 2> "$TMP/err" || { cat "$TMP/err"; die "kswaptrace agent rejects $CONF"; }
echo "PASS: $(echo $keys | wc -w) keys of agent.toml are agent options"

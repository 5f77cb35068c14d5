#!/bin/sh
# The shipped alert rules and scrape example: promtool check rules, the unit tests of every alert
# (packaging/prometheus/kswaptrace-alerts.test.yml), and promtool check config of the example.
# usage: prometheus_rules.sh SOURCE_DIR
. "$(dirname "$0")/lib.subr"
SRC=${1:?usage: $0 SOURCE_DIR}
P=$SRC/packaging/prometheus
command -v promtool >/dev/null || skip "promtool not installed (apt-get install prometheus)"
promtool check rules "$P/kswaptrace-alerts.yml" || die "promtool check rules"
# every alert must have a test that expects it to fire (exp_labels under its alertname)
for a in $(sed -n 's/^ *- alert: *//p' "$P/kswaptrace-alerts.yml"); do
	awk -v a="$a" '$1 == "alertname:" { cur = $2 } cur == a && /exp_labels:/ { found = 1 } END { exit !found }' \
		"$P/kswaptrace-alerts.test.yml" || die "alert $a has no test that expects it to fire"
done
(cd "$P" && promtool test rules kswaptrace-alerts.test.yml) || die "promtool test rules"
# the example points at the installed rules; check it against the source copy
sed "s|/usr/share/kswaptrace/kswaptrace-alerts.yml|$P/kswaptrace-alerts.yml|" "$P/scrape-example.yml" > "$TMP/prometheus.yml"
promtool check config "$TMP/prometheus.yml" || die "promtool check config scrape-example.yml"
echo "PASS: rules, alert unit tests, scrape example"

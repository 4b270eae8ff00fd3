#!/bin/sh
# Mail the KPI report as Markdown every morning.
#
# crontab (06:00 UTC every day):
#   0 6 * * *  ABS_DB=/srv/abs/sales.db /srv/abs/examples/cron/daily-report.sh
#
# Needs: abs on PATH, a `mail` command (mailutils / bsd-mailx), ABS_DB (or --db) set.
# KPIs are defined on whole months, so the daily mail carries the last three complete
# months: the whole range, then each month with sparklines (new history, wins and
# late-converting trials show up the day they are recorded).
set -eu

RECIPIENTS="${KPI_RECIPIENTS:-founders@example.com}"
# The last three complete months (GNU date).
FIRST=$(date -u -d "$(date -u +%Y-%m-01) -3 months" +%Y-%m)
LAST=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m)
REPORT=$(mktemp)
trap 'rm -f "$REPORT"' EXIT

# -q: no diagnostics on stderr; markdown renders well in most mail clients.
abs -q kpi report --from "$FIRST" --to "$LAST" --format markdown > "$REPORT"

mail -s "KPI report $FIRST to $LAST" \
     -a "Content-Type: text/plain; charset=UTF-8" \
     "$RECIPIENTS" < "$REPORT"

#!/bin/sh
# On the 1st of each month, check last month's KPIs and alert when a threshold breaks.
#
# crontab (07:00 UTC on the 1st):
#   0 7 1 * *  ABS_DB=/srv/abs/sales.db /srv/abs/examples/cron/monthly-check.sh
#
# `abs kpi check` exits 0 when every check passes, 5 when one is breached (a null
# metric counts as breached unless --allow-null), and another code on a real error
# (2 usage, 3 bad settings, 4 store): alert differently on each.
set -u

ALERT_TO="${KPI_ALERT_TO:-sales-ops@example.com}"
OUTPUT=$(mktemp)
trap 'rm -f "$OUTPUT"' EXIT

abs -q kpi check \
    'customer_churn_rate<=0.03' \
    'nps>=30' \
    'mrr_growth_rate>0' \
    'win_rate>=0.2' \
    --format markdown > "$OUTPUT" 2>&1
status=$?

case $status in
  0) exit 0 ;;
  5) subject="KPI alert: a threshold was breached last month" ;;
  *) subject="KPI check could not run (exit $status)" ;;
esac

mail -s "$subject" "$ALERT_TO" < "$OUTPUT"
exit "$status"

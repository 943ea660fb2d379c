import { api, data } from "../api";
import { LineChart } from "../components/line-chart";
import { Loading } from "../components/notice";
import { Screen } from "../components/screen";
import { hourLabel } from "../format";
import { useLoad } from "../use-load";

const count = (v: number) => String(Math.round(v));
const percent = (v: number) => `${Math.round(v)} %`;

/** The last 24 hours of the tenant: requests and refusals, events, webhook success. */
export function Overview() {
  const usage = useLoad(() => data(api.GET("/api/v1/nexus/usage", { params: { query: { hours: 24 } } })), []);
  const report = usage.data;
  const labels = report?.hours.map((h) => hourLabel(h.hour)) ?? [];
  const rate = report?.totals.webhook_success_rate;
  return (
    <Screen
      title="Overview"
      intro="The last 24 hours of your business on Nexus Edge, hour by hour (your local time)."
    >
      <Loading loading={usage.loading && !report} error={usage.error} />
      {report ? (
        <>
          <dl class="stats">
            <div>
              <dt>Requests</dt>
              <dd data-testid="total-requests">{report.totals.requests}</dd>
            </div>
            <div>
              <dt>Refused (429)</dt>
              <dd>{report.totals.rate_limited}</dd>
            </div>
            <div>
              <dt>Events</dt>
              <dd>{report.totals.events}</dd>
            </div>
            <div>
              <dt>Webhook success</dt>
              <dd>{rate === null || rate === undefined ? "no deliveries" : percent(rate * 100)}</dd>
            </div>
          </dl>
          <div class="charts">
            <LineChart
              id="requests"
              title="API requests and rate-limit refusals"
              labels={labels}
              format={count}
              series={[
                { label: "Requests", values: report.hours.map((h) => h.requests), tone: "series-1" },
                { label: "Refused (429)", values: report.hours.map((h) => h.rate_limited), tone: "series-2" },
              ]}
            />
            <LineChart
              id="events"
              title="Events"
              labels={labels}
              format={count}
              series={[{ label: "Events", values: report.hours.map((h) => h.events), tone: "series-1" }]}
            />
            <LineChart
              id="webhooks"
              title="Webhook success rate"
              labels={labels}
              format={percent}
              max={100}
              series={[
                {
                  label: "Delivered (2xx)",
                  values: report.hours.map((h) =>
                    h.webhook_attempts === 0 ? null : (100 * h.webhook_succeeded) / h.webhook_attempts,
                  ),
                  tone: "series-1",
                },
              ]}
            />
          </div>
          <p>
            <button type="button" onClick={usage.reload}>
              Refresh
            </button>
          </p>
        </>
      ) : null}
    </Screen>
  );
}

/**
 * The Insights tab: the licence savings first, then the findings counted by severity (a UI Kit bar chart), the
 * findings table, and one finding's rows on demand.
 */

import { callResolver } from "@accessmap/forge-app/admin/ui/api";
import { FailureMessage, productLabel, SeverityLozenge } from "@accessmap/forge-app/admin/ui/common";
import type { AdminFailure, InsightDetail, InsightsOverview } from "@accessmap/shared/wire/admin";
import { BarChart, Button, DynamicTable, Heading, SectionMessage, Spinner, Stack, Text } from "@forge/react";
import { useEffect, useState } from "react";

const SEVERITIES = ["critical", "high", "medium", "low"] as const;

/** "7 licences to reclaim: Jira 4, Confluence 3". */
export function savingsTitle(s: InsightsOverview["licenceSavings"]): string {
  const total = s.perProduct.reduce((n, p) => n + p.licences, 0);
  const parts = s.perProduct.filter((p) => p.licences > 0).map((p) => `${productLabel(p.product)} ${p.licences}`);
  return `${total} licence${total === 1 ? "" : "s"} to reclaim${parts.length > 0 ? `: ${parts.join(", ")}` : ""}`;
}

const FINDINGS_HEAD = {
  cells: [
    { key: "title", content: "Finding" },
    { key: "severity", content: "Severity" },
    { key: "count", content: "Count" },
    { key: "remediation", content: "What to do" },
    { key: "open", content: "" },
  ],
};

const DETAIL_HEAD = {
  cells: [
    { key: "account", content: "Account" },
    { key: "email", content: "Email" },
    { key: "product", content: "Product" },
    { key: "resource", content: "Resource" },
    { key: "permission", content: "Permission" },
    { key: "detail", content: "Detail" },
  ],
};

function DetailView({ detail, onBack }: { detail: InsightDetail; onBack: () => void }) {
  return (
    <Stack space="space.150">
      <Button appearance="subtle" onClick={onBack}>
        Back to all findings
      </Button>
      <Heading size="small">{`${detail.title} (${detail.count})`}</Heading>
      <SeverityLozenge severity={detail.severity} />
      <Text>{detail.remediation}</Text>
      {detail.truncated ? <Text>Only the first rows are shown.</Text> : null}
      <DynamicTable
        caption={detail.title}
        head={DETAIL_HEAD}
        emptyView={<Text>No rows.</Text>}
        rows={detail.rows.map((r, i) => ({
          key: `row-${i}`,
          cells: [
            { key: "account", content: r.account ?? "—" },
            { key: "email", content: r.email ?? "—" },
            { key: "product", content: r.product ? productLabel(r.product) : "—" },
            { key: "resource", content: r.resource ?? "—" },
            { key: "permission", content: r.permission ?? "—" },
            { key: "detail", content: r.detail ?? "—" },
          ],
        }))}
      />
    </Stack>
  );
}

/** The Insights tab. */
export function InsightsTab() {
  const [overview, setOverview] = useState<InsightsOverview | null>(null);
  const [failure, setFailure] = useState<AdminFailure | null>(null);
  const [detail, setDetail] = useState<InsightDetail | null>(null);

  useEffect(() => {
    void (async () => {
      const res = await callResolver("getInsights", {});
      if (res.ok) setOverview(res.data);
      else setFailure(res);
    })();
  }, []);

  const open = async (kind: string) => {
    setFailure(null);
    const res = await callResolver("insightDetail", { kind });
    if (res.ok) setDetail(res.data);
    else setFailure(res);
  };

  if (!overview) return failure ? <FailureMessage failure={failure} /> : <Spinner label="Loading the insights" />;

  const s = overview.licenceSavings;
  const bySeverity = SEVERITIES.map((severity) => ({
    severity,
    count: overview.findings.filter((f) => f.severity === severity).reduce((n, f) => n + f.count, 0),
  }));
  return (
    <Stack space="space.200">
      <SectionMessage appearance="information" title={savingsTitle(s)}>
        <Text>
          {`${s.accounts} billable account${s.accounts === 1 ? " has" : "s have"} not been active for ${s.inactiveDays} days or more.`}
        </Text>
      </SectionMessage>
      {failure ? <FailureMessage failure={failure} /> : null}
      {detail ? (
        <DetailView detail={detail} onBack={() => setDetail(null)} />
      ) : (
        <Stack space="space.200">
          <BarChart
            title="Findings by severity"
            data={bySeverity}
            xAccessor="severity"
            yAccessor="count"
            colorAccessor="severity"
          />
          <DynamicTable
            caption={`Findings (model version ${overview.modelVersion})`}
            head={FINDINGS_HEAD}
            emptyView={<Text>No findings.</Text>}
            rows={overview.findings.map((f) => ({
              key: f.kind,
              cells: [
                { key: "title", content: f.title },
                { key: "severity", content: <SeverityLozenge severity={f.severity} /> },
                { key: "count", content: String(f.count) },
                { key: "remediation", content: f.remediation },
                {
                  key: "open",
                  content: (
                    <Button appearance="subtle" onClick={() => void open(f.kind)}>
                      {`Show ${f.title}`}
                    </Button>
                  ),
                },
              ],
            }))}
          />
        </Stack>
      )}
    </Stack>
  );
}

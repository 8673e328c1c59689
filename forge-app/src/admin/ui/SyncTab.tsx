/**
 * The Sync tab: a progress bar while a run is going (polled through `getOverview`), the last run per product
 * (complete, partial or failed, with the reasons), a run held by the mass-deletion guard, and "Sync now".
 */

import { callResolver } from "@accessmap/forge-app/admin/ui/api";
import { FailureMessage, productLabel, StateLozenge } from "@accessmap/forge-app/admin/ui/common";
import type { Poller } from "@accessmap/forge-app/admin/ui/poller";
import type { AdminFailure, ProductRun, SyncOverview, SyncStarted } from "@accessmap/shared/wire/admin";
import {
  Button,
  DynamicTable,
  Heading,
  Inline,
  LoadingButton,
  ProgressBar,
  SectionMessage,
  Spinner,
  Stack,
  Text,
} from "@forge/react";
import { useCallback, useEffect, useState } from "react";

const RUN_HEAD = {
  cells: [
    { key: "product", content: "Product" },
    { key: "state", content: "State" },
    { key: "reasons", content: "Reason" },
    { key: "readAt", content: "Read at" },
  ],
};

/** One row per product: its state as a lozenge, and every reason (or "—"). */
function RunTable({ runs, label }: { runs: readonly ProductRun[]; label: string }) {
  return (
    <DynamicTable
      caption={label}
      head={RUN_HEAD}
      rows={runs.map((r) => ({
        key: r.product,
        cells: [
          { key: "product", content: productLabel(r.product) },
          { key: "state", content: <StateLozenge state={r.state} /> },
          { key: "reasons", content: r.reasons.length > 0 ? r.reasons.join("; ") : "—" },
          { key: "readAt", content: r.readAt ?? "—" },
        ],
      }))}
    />
  );
}

/** The Sync tab; `poll` drives the refresh while a run is going. */
export function SyncTab({ poll }: { poll: Poller }) {
  const [overview, setOverview] = useState<SyncOverview | null>(null);
  const [failure, setFailure] = useState<AdminFailure | null>(null);
  const [started, setStarted] = useState<SyncStarted | null>(null);
  const [starting, setStarting] = useState(false);

  const refresh = useCallback(async () => {
    const res = await callResolver("getOverview", {});
    if (res.ok) {
      setOverview(res.data);
      setFailure(null);
    } else {
      setFailure(res);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const running = overview?.running != null;
  useEffect(() => {
    if (!running) return;
    return poll(() => void refresh());
  }, [running, poll, refresh]);

  const syncNow = async () => {
    setStarting(true);
    setStarted(null);
    const res = await callResolver("syncNow", {});
    setStarting(false);
    if (!res.ok) {
      setFailure(res);
      return;
    }
    setStarted(res.data);
    await refresh();
  };

  if (!overview && !failure) return <Spinner label="Loading the sync status" />;

  const run = overview?.running;
  const lastJob = overview?.lastJob;
  return (
    <Stack space="space.200">
      {failure ? <FailureMessage failure={failure} /> : null}
      {started ? (
        <SectionMessage appearance="success" title="Sync started">
          <Text>{started.message}</Text>
        </SectionMessage>
      ) : null}
      {run ? (
        <Stack space="space.100">
          <Heading size="small">Sync in progress</Heading>
          <ProgressBar ariaLabel="Sync progress" value={run.progress ?? 0} isIndeterminate={run.progress === null} />
          <Text>
            {run.progress === null
              ? `Started ${run.startedAt ?? "just now"}.`
              : `${Math.round(run.progress * 100)}% done, started ${run.startedAt ?? "just now"}.`}
          </Text>
          {run.products.length > 0 ? <RunTable runs={run.products} label="Products in this run" /> : null}
        </Stack>
      ) : null}
      {overview?.held ? (
        <SectionMessage appearance="warning" title="A sync is waiting for an operator">
          <Text>
            {`Version ${overview.held.version} was held by the mass-deletion guard${
              overview.held.reason ? `: ${overview.held.reason}` : "."
            } An operator must release or discard it before the model changes.`}
          </Text>
        </SectionMessage>
      ) : null}
      {lastJob && lastJob.state === "failed" ? (
        <SectionMessage appearance="error" title="The last sync failed">
          <Text>{lastJob.error ?? "No reason was recorded."}</Text>
        </SectionMessage>
      ) : null}
      <Heading size="small">Last run</Heading>
      {overview?.current ? (
        <Stack space="space.100">
          <Text>{`Model version ${overview.current.version}, committed ${overview.current.committedAt}.`}</Text>
          <RunTable runs={overview.current.products} label="Last run per product" />
        </Stack>
      ) : (
        <Text>No sync has completed yet.</Text>
      )}
      <Inline space="space.100">
        <LoadingButton appearance="primary" isLoading={starting} onClick={syncNow}>
          Sync now
        </LoadingButton>
        <Button onClick={() => void refresh()}>Refresh</Button>
      </Inline>
    </Stack>
  );
}

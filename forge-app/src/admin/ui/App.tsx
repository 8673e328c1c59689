/**
 * The admin page: it first loads the settings, which also tells whether the caller is an administrator (every
 * resolver checks). A refusal is the whole page; otherwise five tabs, each rendered only while selected (so a tab
 * asks the resolver for its data when opened).
 */

import { callResolver } from "@accessmap/forge-app/admin/ui/api";
import { FailureMessage } from "@accessmap/forge-app/admin/ui/common";
import { ExplorerTab } from "@accessmap/forge-app/admin/ui/ExplorerTab";
import { InsightsTab } from "@accessmap/forge-app/admin/ui/InsightsTab";
import { LifecycleTab } from "@accessmap/forge-app/admin/ui/LifecycleTab";
import { intervalPoller, type Poller } from "@accessmap/forge-app/admin/ui/poller";
import { SettingsTab } from "@accessmap/forge-app/admin/ui/SettingsTab";
import { SyncTab } from "@accessmap/forge-app/admin/ui/SyncTab";
import type { AdminFailure, AdminSettings } from "@accessmap/shared/wire/admin";
import { Button, Heading, SectionMessage, Spinner, Stack, Tab, TabList, TabPanel, Tabs, Text } from "@forge/react";
import { type ReactNode, useCallback, useEffect, useState } from "react";

export interface AppProps {
  /** How the Sync tab polls while a run is going (default: every 5 s). */
  poll?: Poller;
}

const DEFAULT_POLL = intervalPoller(5_000);

type Load =
  | { kind: "loading" }
  | { kind: "refused"; message: string }
  | { kind: "failed"; failure: AdminFailure }
  | { kind: "ready"; settings: AdminSettings };

/** The page a caller who is not an administrator sees. */
function Refusal({ message }: { message: string }) {
  return (
    <SectionMessage appearance="error" title="You need to be an administrator to use accessmap">
      <Text>{message}</Text>
    </SectionMessage>
  );
}

/** The whole admin page. */
export function App({ poll = DEFAULT_POLL }: AppProps) {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [tab, setTab] = useState(0);

  const fetchSettings = useCallback(async () => {
    setLoad({ kind: "loading" });
    const res = await callResolver("getSettings", {});
    if (res.ok) setLoad({ kind: "ready", settings: res.data });
    else if (res.code === "not_admin") setLoad({ kind: "refused", message: res.message });
    else setLoad({ kind: "failed", failure: res });
  }, []);

  useEffect(() => {
    void fetchSettings();
  }, [fetchSettings]);

  if (load.kind === "loading") return <Spinner label="Loading accessmap" />;
  if (load.kind === "refused") return <Refusal message={load.message} />;
  if (load.kind === "failed") {
    return (
      <Stack space="space.200">
        <FailureMessage failure={load.failure} />
        <Button onClick={() => void fetchSettings()}>Try again</Button>
      </Stack>
    );
  }

  const tabs: Array<{ title: string; render: () => ReactNode }> = [
    {
      title: "Settings",
      render: () => (
        <SettingsTab initial={load.settings} onSaved={(settings) => setLoad({ kind: "ready", settings })} />
      ),
    },
    { title: "Sync", render: () => <SyncTab poll={poll} /> },
    { title: "Access explorer", render: () => <ExplorerTab /> },
    { title: "Insights", render: () => <InsightsTab /> },
    { title: "Lifecycle", render: () => <LifecycleTab /> },
  ];
  return (
    <Stack space="space.200">
      <Heading size="large">accessmap: who can access what</Heading>
      <Tabs id="accessmap-admin" selected={tab} onChange={(index: number) => setTab(index)}>
        <TabList>
          {tabs.map((t) => (
            <Tab key={t.title}>{t.title}</Tab>
          ))}
        </TabList>
        {tabs.map((t, i) => (
          <TabPanel key={t.title}>{i === tab ? t.render() : <Text> </Text>}</TabPanel>
        ))}
      </Tabs>
    </Stack>
  );
}

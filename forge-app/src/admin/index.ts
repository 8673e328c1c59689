/**
 * The UI Kit admin page (Jira admin page and Confluence global settings), a placeholder: a button that starts a
 * crawl through the shared resolver. Written with `createElement` (the repository's tsconfig has no JSX setting).
 */
import { invoke } from "@forge/bridge";
import reactPackage, { Button, Stack, Text } from "@forge/react";
import { type ComponentType, createElement as h, type ReactNode, useState } from "react";

/** `createElement` with positional children (UI Kit's prop types declare `children` as a required prop). */
const el = (type: unknown, props: Record<string, unknown>, ...children: ReactNode[]) =>
  h(type as ComponentType<Record<string, unknown>>, props, ...children);

type Reconciler = typeof reactPackage.default;
// CommonJS with `exports.default`: Node's ESM loader hands us `module.exports`, a bundler hands us the reconciler.
const ForgeReconciler = ((reactPackage as unknown as { default?: Reconciler }).default ?? reactPackage) as Reconciler;

function App() {
  const [message, setMessage] = useState("accessmap: who can access what.");
  const crawl = async () => {
    const res = (await invoke("startCrawl")) as { runs: Array<{ section: string }> };
    setMessage(`Crawl started: ${res.runs.map((r) => r.section).join(", ")}`);
  };
  return el(Stack, { space: "space.100" }, el(Text, {}, message), el(Button, { onClick: crawl }, "Crawl now"));
}

ForgeReconciler.render(h(App));
